/**
 * The DMA device's public shapes: faults, events, counters, options.
 */

/**
 * Kinds of IOMMU fault the model records.
 * @category DMA
 */
export type DmaFaultKind = 'unmapped-access' | 'double-unmap' | 'direction-mismatch' | 'device-gone';

/**
 * One recorded fault.
 * @category DMA
 */
export interface DmaFault {
  /** What went wrong. */
  kind: DmaFaultKind;
  /** Device name. */
  device: string;
  /** The operation that faulted (`map`, `unmap`, `sync-for-device`, `write`, ...). */
  op: string;
  /** IOVA involved (0 when none). */
  iova: number;
}

/**
 * Events a device emits.
 * @category DMA
 */
export interface DmaDeviceEvents {
  /** An IOMMU fault was recorded. */
  fault: (f: DmaFault) => void;
  /** The device was removed. */
  removed: () => void;
}

/**
 * Counters of one device.
 * @category DMA
 */
export interface DmaDeviceCounters {
  /** Successful maps. */
  maps: number;
  /** Successful unmaps. */
  unmaps: number;
  /** Mappings live now. */
  liveMappings: number;
  /** dma_sync_*_for_device calls that went through. */
  syncsForDevice: number;
  /** dma_sync_*_for_cpu calls that went through. */
  syncsForCpu: number;
  /** Faults recorded, by kind. */
  faults: Record<DmaFaultKind, number>;
}

/**
 * Options for {@link DmaDevice}.
 * @category DMA
 */
export interface DmaDeviceOptions {
  /** Throw a NetmemError on a fault instead of only recording it. Default false. */
  strict?: boolean;
}
