/** What every test site has: a World of keys made with fixed dates, and a temporary directory for its files. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cleanup } from './cli';
import { type TestKey, World } from './world';

export class TestSite {
  readonly world = new World();

  protected constructor(readonly dir: string) {}

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Writes `data` as `name`; returns its path. */
  async write(name: string, data: string | Uint8Array): Promise<string> {
    await fs.writeFile(this.path(name), data);
    return this.path(name);
  }

  /** Writes the key's secret as `<name>-secret.asc`, mode 0600; returns its path. */
  async writeSecret(key: TestKey): Promise<string> {
    await fs.writeFile(this.path(`${key.name}-secret.asc`), key.secretArmored, { mode: 0o600 });
    return this.path(`${key.name}-secret.asc`);
  }

  /** Writes the World's material (after new certifications or revocations) as keyring.asc. */
  async writeKeyring(): Promise<void> {
    await fs.writeFile(this.path('keyring.asc'), this.world.material.join('\n'));
  }

  cleanup(): Promise<void> {
    return cleanup(this.dir);
  }
}
