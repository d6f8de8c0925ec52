/**
 * What the VS Code layer loads from the core on first use (not at activation): HTTP, zod schemas and providers
 * are evaluated only when the first image is requested.
 */
export { ApiCallError, CancelledError, ImageGenError, InvalidRequestError, MissingApiKeyError, messageOf, redact } from './errors';
export { editImages, estimateCostUsd, generateImages } from './generate';
export { extensionFor, sniffImage } from './image/sniff';
export { readPngInfo } from './image/png';
export { attachMetadata, metadataFor, readMetadata, sidecarPath } from './metadata';
export { fileNameFor, numberedName } from './output-names';
export { createImageModel, listModels, modelInfo, providerInfo, providers, PROVIDER_IDS } from './providers/registry';
export { checkEditInputs, checkRequest, sizeChoices } from './validate';
