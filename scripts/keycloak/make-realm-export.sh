#!/bin/sh
# Produces test/fixtures/keycloak/realm-export.json, the REAL Keycloak realm export the import
# tests read (docs/keycloak-import.md). Not run by `npm test`: run it by hand when the fixture
# must change, and commit the result.
#
#   sh scripts/keycloak/make-realm-export.sh
#   KEYCLOAK_EXPORT_OUT=/tmp/realm.json sh scripts/keycloak/make-realm-export.sh   # elsewhere
#
# It downloads the Keycloak distribution from Maven Central once (checked against the published
# SHA-1) into ~/.cache/tessera/keycloak, starts it in dev mode on 127.0.0.1 with a throw-away
# admin, builds the realm `tessera-demo` with kcadm.sh, stops it and runs `kc.sh export`; the
# realm's generated keys are then replaced by "REDACTED" (redact-realm-keys.ts).
# Needs Java 21+ (JAVA_HOME; default the Temurin 25 JDK) and curl, unzip.
set -eu

VERSION=26.7.3
CACHE="${HOME}/.cache/tessera/keycloak"
DIST="keycloak-quarkus-dist-${VERSION}.zip"
URL="https://repo.maven.apache.org/maven2/org/keycloak/keycloak-quarkus-dist/${VERSION}/${DIST}"
HOME_DIR="${CACHE}/keycloak-${VERSION}"
PORT="${KEYCLOAK_PORT:-18080}"
REALM=tessera-demo
OUT="${KEYCLOAK_EXPORT_OUT:-$(cd "$(dirname "$0")/../.." && pwd)/test/fixtures/keycloak/realm-export.json}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"

mkdir -p "${CACHE}"
if [ ! -f "${CACHE}/${DIST}" ]; then
  curl -sSfo "${CACHE}/${DIST}.part" "${URL}"
  curl -sSfo "${CACHE}/${DIST}.sha1" "${URL}.sha1"
  echo "$(cat "${CACHE}/${DIST}.sha1")  ${CACHE}/${DIST}.part" | sha1sum -c -
  mv "${CACHE}/${DIST}.part" "${CACHE}/${DIST}"
fi
[ -d "${HOME_DIR}" ] || (cd "${CACHE}" && unzip -q "${DIST}")
# A fresh dev database every run: the export holds only what this script creates.
rm -rf "${HOME_DIR}/data"

ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="${ADMIN_PASSWORD}" \
  "${HOME_DIR}/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="${PORT}" \
  --http-management-port=$((PORT + 1)) >"${CACHE}/keycloak.log" 2>&1 &
KC_PID=$!
trap 'kill "${KC_PID}" 2>/dev/null || true' EXIT

echo "waiting for Keycloak on 127.0.0.1:${PORT} (log: ${CACHE}/keycloak.log)"
until curl -sf "http://127.0.0.1:${PORT}/realms/master" >/dev/null; do
  kill -0 "${KC_PID}" 2>/dev/null || { tail -50 "${CACHE}/keycloak.log"; exit 1; }
  sleep 2
done

KCADM="${HOME_DIR}/bin/kcadm.sh"
export KC_CLI_CONFIG="${CACHE}/kcadm.config"
"${KCADM}" config credentials --server "http://127.0.0.1:${PORT}" --realm master \
  --user admin --password "${ADMIN_PASSWORD}"

kc() { "${KCADM}" "$@" -r "${REALM}"; }
"${KCADM}" create realms -s realm="${REALM}" -s enabled=true -s displayName="Tessera demo"

# Client scopes that stand for an API's permissions; the audience mapper names the API.
for scope in orders:read orders:write; do
  id=$(kc create client-scopes -i -s name="${scope}" -s protocol=openid-connect \
    -s 'attributes."include.in.token.scope"=true')
  kc create "client-scopes/${id}/protocol-mappers/models" -s name=orders-audience \
    -s protocol=openid-connect -s protocolMapper=oidc-audience-mapper \
    -s 'config."included.custom.audience"=https://orders.example.com' \
    -s 'config."access.token.claim"=true'
done
kc create client-scopes -s name=reports:read -s protocol=openid-connect

# A confidential web client with a known secret and a list of redirect URIs.
kc create clients -s clientId=orders-web -s name="Orders web" -s publicClient=false \
  -s secret=orders-web-secret-9f2c1d7e -s standardFlowEnabled=true \
  -s directAccessGrantsEnabled=false \
  -s 'redirectUris=["https://orders.example.com/callback","https://orders.example.com/silent-renew"]' \
  -s 'webOrigins=["https://orders.example.com"]' \
  -s 'defaultClientScopes=["profile","email","orders:read"]' \
  -s 'optionalClientScopes=["orders:write","offline_access"]'
# A public single-page app that must use PKCE.
kc create clients -s clientId=orders-spa -s name="Orders SPA" -s publicClient=true \
  -s standardFlowEnabled=true -s 'redirectUris=["https://spa.example.com/callback"]' \
  -s 'attributes."pkce.code.challenge.method"=S256' \
  -s 'defaultClientScopes=["profile","orders:read"]'
# A machine client: client credentials only (a service account).
kc create clients -s clientId=billing-worker -s name="Billing worker" -s publicClient=false \
  -s secret=billing-worker-secret-51b0aa42 -s standardFlowEnabled=false \
  -s serviceAccountsEnabled=true -s 'defaultClientScopes=["orders:read","reports:read"]'
# What Tessera has no equivalent for: a realm role, a client role, a group, an identity
# provider, a custom authentication flow.
kc create roles -s name=auditor
kc create "clients/$(kc get clients -q clientId=orders-web --fields id --format csv --noquotes)/roles" \
  -s name=orders-admin
kc create groups -s name=staff
kc create identity-provider/instances -s alias=github -s providerId=github -s enabled=true \
  -s 'config.clientId=gh-client' -s 'config.clientSecret=gh-secret'
kc create authentication/flows/browser/copy -s newName=browser-with-otp

# Users: the hash algorithm is the realm's password policy when the password is set.
user() { # username password email verified enabled first last
  kc create users -s username="$1" -s email="$3" -s emailVerified="$4" -s enabled="$5" \
    -s firstName="$6" -s lastName="$7"
  kc set-password --username "$1" --new-password "$2"
}
policy() { "${KCADM}" update "realms/${REALM}" -s "passwordPolicy=$1"; }
policy 'hashAlgorithm(pbkdf2-sha256)'
user alice 'Correct-Horse-Battery-1' alice@example.com true true Alice Liddell
user dave 'Disabled-Dave-Password-4' dave@example.com true false Dave Jones
user erin 'Unverified-Erin-Password-5' erin@example.com false true Erin Smith
policy 'hashAlgorithm(pbkdf2-sha512)'
user bob 'Sha512-Bob-Password-2' bob@example.com true true Bob Builder
policy 'hashAlgorithm(argon2)'
user carol 'Argon2-Carol-Password-3' carol@example.com true true Carol Danvers
# pbkdf2 with HMAC-SHA1: an algorithm Tessera does not accept.
policy 'hashAlgorithm(pbkdf2)'
user frank 'Sha1-Frank-Password-6' frank@example.com true true Frank Castle
policy 'hashAlgorithm(argon2) and length(8)'
kc create users -s username=grace -s email=grace@example.com -s emailVerified=true \
  -s enabled=true -s firstName=Grace -s lastName=Hopper
kc add-roles --uusername alice --rolename auditor

kill "${KC_PID}"
wait "${KC_PID}" 2>/dev/null || true
trap - EXIT
mkdir -p "$(dirname "${OUT}")"
"${HOME_DIR}/bin/kc.sh" export --realm "${REALM}" --users same_file --file "${OUT}" \
  >>"${CACHE}/keycloak.log" 2>&1
sh "$(dirname "$0")/../node24.sh" node "$(dirname "$0")/redact-realm-keys.ts" "${OUT}"
echo "wrote ${OUT}"
