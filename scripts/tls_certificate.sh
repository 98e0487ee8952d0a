#!/usr/bin/env bash
# tls_certificate.sh DIR: makes DIR/pladmed.crt and DIR/pladmed.key, a self-signed pair for `make start`, unless
# DIR already holds a certificate (the operator's, or one made before). Replace them with a real certificate and key
# for the deployment's host name (README, "TLS").
set -euo pipefail
dir=${1:?usage: tls_certificate.sh DIR}
if [ -s "$dir/pladmed.crt" ] && [ -s "$dir/pladmed.key" ]; then
    exit 0
fi
command -v openssl >/dev/null || { echo "openssl is needed to make a self-signed certificate (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
host=${PLADMED_TLS_HOST:-localhost}
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/pladmed.key" -out "$dir/pladmed.crt" 2>/dev/null
chmod 600 "$dir/pladmed.key"
echo "made a self-signed certificate for $host in $dir (valid 825 days): browsers and probes will not trust it;"
echo "put the deployment's real certificate and key there as pladmed.crt and pladmed.key (README, \"TLS\")."
