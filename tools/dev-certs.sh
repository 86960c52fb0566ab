#!/usr/bin/env bash
# dev-certs.sh OUT_DIR: makes a local certificate authority and the
# certificates for running ledgerd with mutual TLS on one machine, for
# development, tests and the demo (never for production: the CA's key sits
# unprotected beside the certificates). Needs only the openssl command.
#
# Writes into OUT_DIR (created if missing; refused if it already holds a CA,
# so a second run cannot silently replace certificates in use):
#   ca.pem, ca.key                the local CA (ledgerd --client-ca, clients' --ca)
#   server.pem, server.key        ledgerd's certificate, for 127.0.0.1, ::1 and
#                                 localhost (subjectAltName IP and DNS)
#   ROLE.pem, ROLE.key            one client certificate per role: recorder,
#                                 secretary, complaints, auditor, admin
#   unknown.pem, unknown.key      a client certificate from the same CA whose
#                                 subject is in no role (refused by ledgerd)
#   roles.conf                    a roles file naming the five role subjects
#                                 (ledgerd --roles; docs/security.md)
# Exit status: 0 done, 1 openssl failed or OUT_DIR already holds a CA,
# 2 usage error.
set -euo pipefail

if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: tools/dev-certs.sh OUT_DIR" >&2
  exit 2
fi
out=$1
if [[ -e "$out/ca.key" ]]; then
  echo "dev-certs.sh: $out already holds a CA (ca.key); choose another directory" >&2
  exit 1
fi
mkdir -p "$out"
umask 077  # private keys readable by their owner only

# Everything made here carries this organisation, so the subjects are
# recognisably development ones.
readonly org="Involvement Ledger dev"
readonly days=825

newkey() {  # newkey FILE: an EC P-256 private key (fast, and small certificates)
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.pem signed by the CA.
sign() {
  local name=$1 subject=$2 ext=$3
  newkey "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "$subject" -out "$out/$name.csr"
  printf '%b' "$ext" > "$out/$name.ext"
  openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
    -CAserial "$out/ca.srl" -CAcreateserial -days "$days" -sha256 \
    -extfile "$out/$name.ext" -out "$out/$name.pem" 2>/dev/null
  rm -f "$out/$name.csr" "$out/$name.ext"
}

newkey "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days" \
  -subj "/O=$org/CN=Involvement Ledger dev CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca.pem"

sign server "/O=$org/CN=localhost" \
  "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"

readonly roles=(recorder secretary complaints auditor admin)
for name in "${roles[@]}" unknown; do
  sign "$name" "/O=$org/CN=ledger-$name" \
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
done

# The subjects exactly as ledgerd sees them: RFC 2253, most specific first.
{
  echo "# ledgerd --roles file made by tools/dev-certs.sh (docs/security.md)."
  echo "# ROLE  SUBJECT (RFC 2253, as: openssl x509 -noout -subject -nameopt RFC2253)"
  for role in "${roles[@]}"; do
    subject=$(openssl x509 -in "$out/$role.pem" -noout -subject -nameopt RFC2253)
    printf '%-10s  %s\n' "$role" "${subject#subject=}"
  done
} > "$out/roles.conf"
chmod 0644 "$out"/*.pem "$out/roles.conf"
echo "dev-certs.sh: CA, server and client certificates and roles.conf in $out"
