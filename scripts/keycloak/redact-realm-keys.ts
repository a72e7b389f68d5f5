/**
 * Replaces the realm's own signing and encryption keys in a Keycloak realm export by
 * "REDACTED": the import never reads them (Tessera has its own keys), and a fixture should not
 * carry private key material, even of a throw-away realm. Run by make-realm-export.sh.
 *
 *   node scripts/keycloak/redact-realm-keys.ts <export.json>
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: redact-realm-keys.ts <export.json>');
const realm = JSON.parse(readFileSync(file, 'utf8')) as {
  components?: Record<string, { config?: Record<string, string[]> }[]>;
};
const SECRET_FIELDS = ['privateKey', 'certificate', 'secret'];
for (const provider of realm.components?.['org.keycloak.keys.KeyProvider'] ?? []) {
  for (const field of SECRET_FIELDS) {
    if (provider.config?.[field]) provider.config[field] = ['REDACTED'];
  }
}
writeFileSync(file, `${JSON.stringify(realm, null, 2)}\n`);
