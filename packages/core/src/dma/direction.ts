/**
 * DMA directions, as the DMA API names them.
 * @category DMA
 */
export type DmaDirection = 'bidirectional' | 'to-device' | 'from-device';

/**
 * DMA_BIDIRECTIONAL (the kernel's enum dma_data_direction value).
 * @category DMA
 */
export const DMA_BIDIRECTIONAL = 0;
/**
 * DMA_TO_DEVICE.
 * @category DMA
 */
export const DMA_TO_DEVICE = 1;
/**
 * DMA_FROM_DEVICE.
 * @category DMA
 */
export const DMA_FROM_DEVICE = 2;

const CODES: Record<DmaDirection, number> = {
  bidirectional: DMA_BIDIRECTIONAL,
  'to-device': DMA_TO_DEVICE,
  'from-device': DMA_FROM_DEVICE,
};
const NAMES: DmaDirection[] = ['bidirectional', 'to-device', 'from-device'];

/**
 * Numeric code of a direction name; -1 when the name is unknown.
 * @category DMA
 */
export function dmaDirCode(dir: DmaDirection): number {
  return CODES[dir] ?? -1;
}

/**
 * Direction name of a numeric code.
 * @category DMA
 */
export function dmaDirName(code: number): DmaDirection {
  return NAMES[code];
}
