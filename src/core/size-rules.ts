/**
 * Size rules and prices as pure functions with no dependencies, shared by the core's validation and the
 * Image Studio webview (which checks a custom WxH live and shows the price before sending).
 */
import type { CustomSizeRule, ModelCapabilities, Resolution } from './image-model';
import { message } from './messages';

/** Parses WIDTHxHEIGHT; undefined for `auto` or anything else. */
export function parseSize(size: string | undefined): { width: number; height: number } | undefined {
  const match = /^(\d+)x(\d+)$/.exec(size ?? '');
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}

/** Why a custom WxH breaks a model's rule, or undefined when it is fine. */
export function customSizeProblem(width: number, height: number, rule: CustomSizeRule): string | undefined {
  const longest = Math.max(width, height);
  const shortest = Math.min(width, height);
  if (width % rule.multipleOf || height % rule.multipleOf) {
    const round = (value: number) => Math.max(rule.multipleOf, Math.round(value / rule.multipleOf) * rule.multipleOf);
    return message('sizeMultipleOf', { multiple: rule.multipleOf, nearest: `${round(width)}x${round(height)}` });
  }
  if (longest > rule.maxSide) return message('sizeMaxSide', { max: rule.maxSide });
  if (rule.minSide !== undefined && shortest < rule.minSide) return message('sizeMinSide', { min: rule.minSide });
  if (longest / shortest > rule.maxAspectRatio) return message('sizeMaxRatio', { ratio: rule.maxAspectRatio });
  const pixels = width * height;
  if (pixels < rule.minPixels || pixels > rule.maxPixels) {
    return message('sizePixels', { min: rule.minPixels.toLocaleString('en-US'), max: rule.maxPixels.toLocaleString('en-US'), pixels: pixels.toLocaleString('en-US') });
  }
  return undefined;
}

/** The sizes to list in messages and pickers: fixed ones, then `auto`. */
export function sizeChoices(capabilities: Pick<ModelCapabilities, 'sizes' | 'autoSize'>): string[] {
  return [...capabilities.sizes, ...(capabilities.autoSize ? ['auto'] : [])];
}

/**
 * The price of `count` images where the provider publishes one (apimodels): tier by the longest side or the
 * requested resolution, `auto` quality billed as the table says. Undefined where no price is known.
 */
export function estimateCostUsd(
  capabilities: Pick<ModelCapabilities, 'pricing'>,
  request: { size?: string; resolution?: Resolution; quality?: string },
  count: number,
): number | undefined {
  const pricing = capabilities.pricing;
  if (!pricing) return undefined;
  let tier = request.resolution;
  if (!tier) {
    const size = parseSize(request.size) ?? { width: 1024, height: 1024 };
    const longest = Math.max(size.width, size.height);
    tier = longest <= pricing.tiers.oneK ? '1K' : longest <= pricing.tiers.twoK ? '2K' : '4K';
  }
  const quality = !request.quality || request.quality === 'auto' ? pricing.autoBillsAs : request.quality;
  const price = pricing.perImage[tier]?.[quality];
  return price === undefined ? undefined : Math.round(price * count * 1e6) / 1e6;
}
