import { rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where downloaded and built test services live; `TESSERA_CACHE_DIR` overrides it (scripts/node24.sh uses the same rule). */
export function resolveCacheDir(): string {
  return process.env['TESSERA_CACHE_DIR'] ?? join(homedir(), '.cache', 'tessera');
}

/**
 * Moves a finished staging file or directory into its final place.
 *
 * rename(2) is atomic, so readers see either nothing or the complete artefact; a crash leaves only
 * a staging path behind. When another process installed the same artefact first, the rename of a
 * directory fails (target not empty) and its copy is kept, as both are equivalent.
 */
export async function publishStaged(stagingPath: string, finalPath: string): Promise<void> {
  try {
    await rename(stagingPath, finalPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  } finally {
    await rm(stagingPath, { recursive: true, force: true });
  }
}
