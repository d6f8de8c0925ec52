/** Running a job the way a person expects: a cancellable progress notification, the result opened, errors explained. */
import * as vscode from 'vscode';
import type { ProviderId } from '../core/providers/registry';
import { loadCore } from './core';
import { runJob, type JobOutcome, type JobSpec } from './image-jobs';
import type { Services } from './services';

export interface UiOptions {
  /** Callers that cancel programmatically (other extensions, tests) pass a token; the notification's Cancel works too. */
  cancellation?: vscode.CancellationToken;
  /** Open the first image and reveal the rest (default true). */
  open?: boolean;
}

/** Shows an error as one actionable message: a missing or rejected key offers "Set API Key", cancels say nothing was written. */
export async function showError(services: Services, error: unknown, provider?: ProviderId): Promise<void> {
  const core = await loadCore();
  const setKey = vscode.l10n.t('Set API Key');
  const showLog = vscode.l10n.t('Show Log');
  if (error instanceof core.CancelledError) {
    void vscode.window.setStatusBarMessage(vscode.l10n.t('ImageGen: cancelled; nothing was written.'), 5000);
    return;
  }
  const message = core.redact(core.messageOf(error), services.keys.knownSecrets());
  if (!(error instanceof core.ImageGenError)) {
    services.logger.error('unexpected', error instanceof Error ? (error.stack ?? message) : message);
    void vscode.window.showErrorMessage(vscode.l10n.t('ImageGen: unexpected error: {0}', message), showLog).then((choice) => choice && services.logger.show());
    return;
  }
  const keyProblem = error instanceof core.MissingApiKeyError || (error instanceof core.ApiCallError && (error.status === 401 || error.status === 403));
  const actions = keyProblem && provider ? [setKey] : error instanceof core.ApiCallError ? [showLog] : [];
  // Not awaited: the command finishes now; the buttons act whenever the user clicks them.
  void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
    if (choice === setKey) void vscode.commands.executeCommand('imagegen.setApiKey', provider);
    if (choice === showLog) services.logger.show();
  });
}

/** Runs a job under a progress notification with Cancel; opens what it made. Undefined when it failed or was cancelled. */
export async function runJobWithUi(services: Services, spec: JobSpec, options: UiOptions = {}): Promise<JobOutcome | undefined> {
  if (!vscode.workspace.isTrusted) {
    const manage = vscode.l10n.t('Manage Workspace Trust');
    void vscode.window
      .showWarningMessage(vscode.l10n.t('ImageGen calls image services and writes files: trust this workspace to generate or edit images.'), manage)
      .then((choice) => choice === manage && vscode.commands.executeCommand('workbench.trust.manage'));
    return undefined;
  }
  const title = spec.kind === 'edit' ? vscode.l10n.t('ImageGen: editing image') : vscode.l10n.t('ImageGen: generating image');
  const provider = spec.provider ?? (vscode.workspace.getConfiguration('imagegen', spec.folder.uri).get<ProviderId>('provider') || 'placeholder');
  try {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        const subscriptions = [token.onCancellationRequested(() => controller.abort())];
        if (options.cancellation) subscriptions.push(options.cancellation.onCancellationRequested(() => controller.abort()));
        if (options.cancellation?.isCancellationRequested) controller.abort();
        try {
          return await runJob(services, spec, {
            signal: controller.signal,
            onPartial: (partial) => progress.report({ message: vscode.l10n.t('partial image {0} received…', partial.partialIndex + 1) }),
            onProgress: (step) => progress.report({ message: step.percent !== undefined ? `${step.status} ${Math.round(step.percent)}%` : step.status }),
          });
        } finally {
          for (const subscription of subscriptions) subscription.dispose();
        }
      },
    );
    for (const warning of outcome.warnings) void vscode.window.showWarningMessage(`ImageGen: ${warning}`);
    if (options.open !== false && outcome.saved.length) {
      await vscode.commands.executeCommand('vscode.open', outcome.saved[0]!.uri, { preview: false });
      for (const image of outcome.saved.slice(1)) await vscode.commands.executeCommand('revealInExplorer', image.uri);
    }
    return outcome;
  } catch (error) {
    await showError(services, error, provider);
    return undefined;
  }
}
