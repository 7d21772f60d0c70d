#!/usr/bin/env bash
# npm run cert: a self-signed certificate for local development, valid for localhost, 127.0.0.1
# and ::1, written to ./certs (or the folder given). Browsers will warn: it is signed by nobody.
#   PROTOCOL=http2 TLS_CERT=certs/localhost.pem TLS_KEY=certs/localhost-key.pem npm start
set -euo pipefail
dir=${1:-certs}
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 365 \
  -subj '/CN=localhost' \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' \
  -addext 'extendedKeyUsage=serverAuth' \
  -keyout "$dir/localhost-key.pem" -out "$dir/localhost.pem"
echo "Wrote $dir/localhost.pem and $dir/localhost-key.pem (valid 365 days for localhost, 127.0.0.1, ::1)"
