#!/usr/bin/env bash
# The first-run story of the README, with curl, against a running server:
#   scripts/smoke.sh [BASE_URL]   (default http://127.0.0.1:3000; needs an empty database)
# Prints each step and exits non-zero at the first answer that is not the expected status.
set -euo pipefail
base=${1:-http://127.0.0.1:3000}
jar_admin=$(mktemp) jar_user=$(mktemp) old_cookie=$(mktemp)
body=$(mktemp)
trap 'rm -f "$jar_admin" "$jar_user" "$old_cookie" "$body"' EXIT

step() { # step EXPECTED_STATUS DESCRIPTION CURL_ARGS...
  local expected=$1 description=$2
  shift 2
  local status
  status=$(curl -sS -o "$body" -w '%{http_code}' -H 'Content-Type: application/json' "$@")
  if [[ $status != "$expected" ]]; then
    echo "FAIL $description: expected $expected, got $status: $(cat "$body")" >&2
    exit 1
  fi
  echo "ok   $status $description"
}
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$body"; }

step 201 'create the first user (becomes admin)' -X POST "$base/api/users" -d '{"name":"admin","password":"admin password"}'
[[ $(field role) == admin ]] || { echo 'FAIL first user is not admin' >&2; exit 1; }
admin_id=$(field id)
step 200 'log in as admin' -c "$jar_admin" -X POST "$base/api/auth/login" -d '{"name":"admin","password":"admin password"}'
step 200 'list users' -b "$jar_admin" "$base/api/users"
step 200 'rename admin to 관리자' -b "$jar_admin" -X PUT "$base/api/users/$admin_id" -d '{"name":"관리자"}'
step 201 'create a second user' -X POST "$base/api/users" -d '{"name":"홍길동","password":"second password"}'
user_id=$(field id)
step 200 'log in as the second user' -c "$jar_user" -X POST "$base/api/auth/login" -d '{"name":"홍길동","password":"second password"}'
step 200 'greet: GET /api/auth/me' -b "$jar_user" "$base/api/auth/me"
echo "     $(field name)님 안녕하세요"
step 403 'second user cannot delete the admin' -b "$jar_user" -X DELETE "$base/api/users/$admin_id"
step 204 'second user deletes themselves' -b "$jar_user" -X DELETE "$base/api/users/$user_id"
cp "$jar_admin" "$old_cookie"
step 204 'admin logs out' -b "$jar_admin" -c "$jar_admin" -X POST "$base/api/auth/logout"
step 401 'the old cookie is dead' -b "$old_cookie" "$base/api/auth/me"
step 400 'malformed JSON is a 400' -X POST "$base/api/users" -d '{"name":'
echo 'smoke: all steps passed'
