/**
 * apimodels: the OpenAI shape with a WxH size answers at once; aspect ratio + resolution (or no size) creates a
 * task that is polled until it completes, fails, is cancelled or runs out of time.
 */
import { ApiCallError } from '../../errors';
import { message } from '../../messages';
import { seconds, sentence, sleep, type HttpResponse } from '../../http';
import type { CallOptions, ImageResult, ValidImageRequest } from '../../image-model';
import type { ScannedDocument } from '../../json-images';
import { compact, imageFrom, readImageJson, unexpected } from '../response';
import { OpenAIImageModel, type OpenAIModelSettings } from '../openai/openai-image-model';
import { imagesIn, taskIdIn, taskStateIn } from './apimodels-api';

export interface PollSettings {
  /** First wait between polls; grows by half each time up to `maxIntervalMs`. */
  intervalMs: number;
  maxIntervalMs: number;
  /** Give up after this long (the task may still finish on the server). */
  timeoutMs: number;
}

export const defaultPollSettings: PollSettings = { intervalMs: 2_000, maxIntervalMs: 10_000, timeoutMs: 10 * 60_000 };

/** Without a size or an aspect ratio, apimodels would go asynchronous; a square 1K image answers directly. */
export const APIMODELS_DEFAULT_SIZE = '1024x1024';

export class ApimodelsImageModel extends OpenAIImageModel {
  private readonly poll: PollSettings;

  constructor(settings: OpenAIModelSettings & { poll?: Partial<PollSettings> }) {
    super({ ...settings, multiImageField: 'image' });
    this.poll = { ...defaultPollSettings, ...settings.poll };
  }

  protected override fields(request: ValidImageRequest): Record<string, string | number | boolean> {
    const asynchronous = request.aspectRatio !== undefined;
    return compact({
      ...super.fields({ ...request, size: asynchronous ? undefined : (request.size ?? APIMODELS_DEFAULT_SIZE) }),
      aspect_ratio: request.aspectRatio,
      resolution: asynchronous ? request.resolution : undefined,
    }) as Record<string, string | number | boolean>;
  }

  protected override async readReply(response: HttpResponse, request: ValidImageRequest, options: CallOptions): Promise<ImageResult> {
    const document = await readImageJson(this.client, response, options.signal);
    const taskId = taskIdIn(document.value);
    if (taskId === undefined || imagesIn(document.value).length > 0) return this.resultFromJson(document, request, options);
    return this.waitForTask(taskId, request, options);
  }

  private async waitForTask(taskId: string, request: ValidImageRequest, options: CallOptions): Promise<ImageResult> {
    const started = Date.now();
    let interval = this.poll.intervalMs;
    options.onProgress?.({ status: 'queued' });
    for (;;) {
      await sleep(interval, options.signal);
      let document: ScannedDocument;
      try {
        const response = await this.client.send({
          method: 'GET',
          url: `${this.baseUrl}/images/generations?task_id=${encodeURIComponent(taskId)}`,
          signal: options.signal,
        });
        document = await readImageJson(this.client, response, options.signal);
      } catch (error) {
        // The task runs on (and is billed) whatever one poll reply looked like: a flaky poll is asked again
        // until the poll timeout; only a definite answer (404, auth) ends the wait.
        if (!(error instanceof ApiCallError) || !error.retryable || Date.now() - started + interval > this.poll.timeoutMs) throw error;
        interval = Math.min(this.poll.maxIntervalMs, Math.round(interval * 1.5));
        continue;
      }
      const task = taskStateIn(document.value);
      options.onProgress?.({ status: task.status, ...(task.percent !== undefined ? { percent: task.percent } : {}) });
      if (task.state === 'completed') return this.taskResult(taskId, document, request, options);
      if (task.state === 'failed') {
        const said = this.client.redact(task.error ?? task.status);
        throw new ApiCallError(sentence(message('taskFailed', { task: taskId, message: said })), { provider: this.client.providerName, excerpt: said, retryable: false });
      }
      if (Date.now() - started + interval > this.poll.timeoutMs) {
        throw new ApiCallError(
          message('taskTimeout', { task: taskId, time: seconds(this.poll.timeoutMs) }),
          { provider: this.client.providerName, retryable: false },
        );
      }
      interval = Math.min(this.poll.maxIntervalMs, Math.round(interval * 1.5));
    }
  }

  private async taskResult(taskId: string, document: ScannedDocument, request: ValidImageRequest, options: CallOptions): Promise<ImageResult> {
    const found = imagesIn(document.value);
    if (found.length === 0) throw unexpected(this.client, 'taskWithoutImages', document.value, { task: taskId });
    const images = await Promise.all(found.map((item) => imageFrom(this.client, document, item, options.signal)));
    return {
      images,
      warnings: [],
      metadata: compact({
        provider: this.provider,
        model: this.modelId,
        taskId,
        size: `${images[0]!.width}x${images[0]!.height}`,
        quality: request.quality,
      }) as ImageResult['metadata'],
    };
  }
}
