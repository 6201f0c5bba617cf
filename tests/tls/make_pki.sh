#!/usr/bin/env bash
# Makes the test PKI with the openssl CLI: make_pki.sh DIR
#   ca.pem                 test root CA (ECDSA P-256); rogue-ca.pem: another, untrusted root
#   server.{pem,key}       ECDSA P-256 leaf for localhost, 127.0.0.1, ::1
#   server-rsa.{pem,key}   RSA-2048 leaf for the same names
#   other.{pem,key}        leaf for other.test and *.wild.test only (SNI, name mismatch)
#   expired.{pem,key}      valid 2020-01-01 .. 2021-01-01
#   future.{pem,key}       valid 2090-01-01 .. 2091-01-01
#   rogue.{pem,key}        leaf for localhost signed by the rogue CA (unknown CA)
#   self.{pem,key}         self-signed leaf for localhost
#   client.{pem,key}       client certificate CN=alice (clientAuth)
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
q() { "$@" >/dev/null 2>&1 || { echo "make_pki: failed: $*" >&2; "$@"; exit 1; }; }

ec_key() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

make_ca() {  # name subject
  ec_key "$1.key"
  q openssl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  mkdir -p "$1.db"
  : > "$1.db/index.txt"
  echo 1000 > "$1.db/serial"
  cat > "$1.cnf" <<CNF
[ca]
default_ca = the_ca
[the_ca]
dir = $PWD/$1.db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $PWD/$1.pem
private_key = $PWD/$1.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
[anything]
commonName = supplied
CNF
}

# leaf CA name keyfile subject san start end [eku]
leaf() {
  local ca=$1 name=$2 subj=$3 san=$4 start=$5 end=$6 eku=${7:-serverAuth}
  [ -f "$name.key" ] || ec_key "$name.key"
  q openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" ${san:+-addext "subjectAltName=$san"} \
    -addext "extendedKeyUsage=$eku" -addext "basicConstraints=CA:FALSE"
  q openssl ca -batch -config "$ca.cnf" -in "$name.csr" -out "$name.pem" -notext \
    -startdate "$start" -enddate "$end"
  rm -f "$name.csr"
}

now=20250101000000Z
later=20450101000000Z
make_ca ca "/CN=Strata Test CA"
make_ca rogue-ca "/CN=Rogue CA"
leaf ca server "/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" $now $later
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server-rsa.key
leaf ca server-rsa "/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" $now $later
leaf ca other "/CN=other.test" "DNS:other.test,DNS:*.wild.test" $now $later
leaf ca expired "/CN=localhost" "DNS:localhost,IP:127.0.0.1" 20200101000000Z 20210101000000Z
leaf ca future "/CN=localhost" "DNS:localhost,IP:127.0.0.1" 20900101000000Z 20910101000000Z
leaf rogue-ca rogue "/CN=localhost" "DNS:localhost,IP:127.0.0.1" $now $later
leaf ca client "/CN=alice" "" $now $later clientAuth
ec_key self.key
q openssl req -x509 -new -key self.key -subj "/CN=localhost" -days 3650 -out self.pem \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
echo ok > done
