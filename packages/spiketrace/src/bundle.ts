/** A compiled bundle on the authoring side: the plain-data manifest plus saving it. */
import type { BundleManifest } from '@spiketrace/runtime';

export class Bundle {
  constructor(readonly manifest: BundleManifest) {}

  get name(): string {
    return this.manifest.name;
  }

  toJSON(): BundleManifest {
    return this.manifest;
  }

  /**
   * Write `<dir>/<name>.bundle.json` (what the runtime loads) and, for reading, each kernel's WGSL
   * as `<dir>/<name>.kernels/<kernel>.wgsl`. Resolves to the manifest's path.
   */
  async save(dir: string): Promise<string> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    await fs.mkdir(path.join(dir, `${this.name}.kernels`), { recursive: true });
    for (const k of this.manifest.plan.kernels) await fs.writeFile(path.join(dir, `${this.name}.kernels`, `${k.name}.wgsl`), k.wgsl);
    const file = path.join(dir, `${this.name}.bundle.json`);
    await fs.writeFile(file, JSON.stringify(this.manifest, null, 1));
    return file;
  }
}
