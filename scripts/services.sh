#!/usr/bin/env bash
# PostgreSQL and Redis on 127.0.0.1 for `npm run test:scale` and local scale-out runs, from
# Debian's packages (apt-get install postgresql redis-server nginx-light). Their data lives in
# SERVICES_DIR (default /tmp/nest-users-services, reachable by the postgres user when run as
# root); nothing system-wide is changed or started.
#
#   scripts/services.sh start   start all three (idempotent) and print the environment to use:
#                                 eval "$(scripts/services.sh start)"
#   scripts/services.sh stop    stop them (data is kept)
#   scripts/services.sh status  show what runs
#
# Ports: PG_PORT (55432), REDIS_PORT (56379), and NGINX_PORT (58080), where nginx balances
# round-robin over the instances on APP_PORTS ("3001 3002"), as docs/scale-out.md
# shows. The scale suite starts nginx processes of its own, for the instances it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${SERVICES_DIR:-/tmp/nest-users-services}
pg_port=${PG_PORT:-55432}
redis_port=${REDIS_PORT:-56379}
nginx_port=${NGINX_PORT:-58080}
app_ports=${APP_PORTS:-3001 3002}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

log() { echo "$*" >&2; }
need() { command -v "$1" >/dev/null || { log "$1 not found: apt-get install -y $2"; exit 1; }; }

# PostgreSQL refuses to run as root; under root (CI) its files belong to the postgres user.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  [[ -n $pg_bin ]] || { log 'PostgreSQL not found: apt-get install -y postgresql'; exit 1; }
  mkdir -p "$dir"
  if [[ ! -s $dir/pg/PG_VERSION ]]; then
    mkdir -p "$dir/pg"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir/pg"
    as_pg "$pg_bin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$pg_bin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir -c max_connections=300 -c fsync=off" >/dev/null
  fi
}

start_redis() {
  need redis-server redis-server
  mkdir -p "$dir/redis"
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --appendonly yes \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save ''
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
}

start_nginx() {
  need nginx nginx-light
  mkdir -p "$dir/nginx"
  [[ -s $dir/nginx/nginx.pid ]] && kill -0 "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null && return
  local servers='' p
  for p in $app_ports; do servers+="    server 127.0.0.1:$p max_fails=1 fail_timeout=2s;"$'\n'; done
  cat >"$dir/nginx/nginx.conf" <<EOF
$([[ $(id -u) -eq 0 ]] && echo 'user root;')
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  upstream app {
$servers    keepalive 16;
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_next_upstream error timeout http_502;
      add_header X-Served-By \$upstream_addr always;
    }
  }
}
EOF
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
}

case ${1:-} in
  start)
    start_postgres
    start_redis
    start_nginx
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
    echo "export REDIS_URL=redis://127.0.0.1:$redis_port"
    log "nginx on http://127.0.0.1:$nginx_port balances over 127.0.0.1:{${app_ports// /,}}"
    ;;
  stop)
    [[ -n $pg_bin && -d $dir/pg ]] && as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    [[ -s $dir/nginx/nginx.pid ]] && kill -QUIT "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null || true
    ;;
  status)
    [[ -n $pg_bin && -d $dir/pg ]] && as_pg "$pg_bin/pg_ctl" -D "$dir/pg" status || echo 'PostgreSQL: stopped'
    redis-cli -p "$redis_port" ping 2>/dev/null || echo 'Redis: stopped'
    if [[ -s $dir/nginx/nginx.pid ]] && kill -0 "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null; then
      echo "nginx: running on 127.0.0.1:$nginx_port"
    else
      echo 'nginx: stopped'
    fi
    ;;
  *)
    log "usage: $0 start|stop|status"
    exit 2
    ;;
esac
