/**
 * The offline provider: renders a real PNG locally with the size and the prompt on a colour taken from the
 * prompt. No key, no network: the extension and the CLI work on first run, and UIs can be tried end to end.
 */
import { throwIfCancelled } from '../../http';
import type { CallOptions, ImageModel, ImageResult, InputImage, ModelCapabilities, ValidImageRequest, Warning } from '../../image-model';
import { encodePng } from '../../image/png';
import { renderPlaceholder } from '../../image/placeholder-art';
import { sniffImage } from '../../image/sniff';
import { parseSize } from '../../validate';
import { placeholderModels } from './placeholder-options';

const DEFAULT_SIZE = { width: 1024, height: 1024 };

export class PlaceholderImageModel implements ImageModel {
  readonly provider = 'placeholder';
  readonly modelId = 'placeholder';
  readonly label = 'Placeholder';
  readonly capabilities: ModelCapabilities = placeholderModels[0]!.capabilities;
  readonly notes: Warning[] = [];

  generate(request: ValidImageRequest, options: CallOptions): Promise<ImageResult> {
    return this.render(request, parseSize(request.size) ?? DEFAULT_SIZE, request.prompt, options);
  }

  edit(request: ValidImageRequest & { images: InputImage[]; mask?: InputImage }, options: CallOptions): Promise<ImageResult> {
    // An edit keeps the first image's size unless a size was asked for, as the real APIs do with size=auto.
    const source = sniffImage(request.images[0]!.bytes);
    const size = parseSize(request.size) ?? (source ? { width: source.width, height: source.height } : DEFAULT_SIZE);
    return this.render(request, size, `edit: ${request.prompt}`, options);
  }

  private async render(request: ValidImageRequest, size: { width: number; height: number }, prompt: string, options: CallOptions): Promise<ImageResult> {
    const { width, height } = size;
    const images = [];
    for (let index = 0; index < request.n; index++) {
      throwIfCancelled(options.signal);
      const label = `${width} x ${height}${request.n > 1 ? `  #${index + 1}` : ''}`;
      if (request.stream && options.onPartial) {
        for (let partial = 0; partial < (request.partialImages ?? 0); partial++) {
          const pixels = renderPlaceholder({ width, height, prompt, label: `${label}  (partial ${partial + 1})` });
          options.onPartial({ imageIndex: index, partialIndex: partial, bytes: encodePng(pixels, width, height, 3, { level: 1 }), mediaType: 'image/png' });
          // Yield so a cancel between partials is seen at once.
          await new Promise((resolve) => setImmediate(resolve));
          throwIfCancelled(options.signal);
        }
      }
      const bytes = encodePng(renderPlaceholder({ width, height, prompt, label }), width, height, 3);
      images.push({ bytes, mediaType: 'image/png' as const, width, height });
      await new Promise((resolve) => setImmediate(resolve));
    }
    throwIfCancelled(options.signal);
    return {
      images,
      warnings: [],
      metadata: { provider: 'placeholder', model: 'placeholder', created: Math.floor(Date.now() / 1000), size: `${width}x${height}`, outputFormat: 'png' },
    };
  }
}
