#!/bin/sh
# The shop's API: one HTTP request read from stdin and answered on stdout (`nc -ll -e` starts this
# script for every connection).
#   GET  /healthz   "ok"
#   GET  /items     every item, one a line, oldest first to the second (read from the store)
#   POST /items     body `item=<url-encoded text>` (or the bare text): the item is written to the store
# The store is a key/value service at $STORE_URL: GET /cgi-bin/kv lists "KEY<TAB>VALUE" lines,
# POST /cgi-bin/kv/KEY sets KEY to the request body.
STORE_URL=${STORE_URL:-http://store:7000}

cr=$(printf '\r')
read -r method target _ || exit 0
len=0
while read -r line; do
  line=${line%"$cr"}
  [ -n "$line" ] || break
  case $line in
    [Cc]ontent-[Ll]ength:*) len=${line#*:} len=${len# } ;;
  esac
done
case $len in '' | *[!0-9]*) len=0 ;; esac
body=
[ "$len" -gt 0 ] && body=$(head -c "$len")
path=${target%%\?*}

# reply STATUS BODY: a whole plain-text response; the connection closes after it.
reply() {
  printf 'HTTP/1.0 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$1" "$(printf %s "$2" | wc -c)" "$2"
  exit 0
}

case "$method $path" in
  "GET /healthz" | "HEAD /healthz")
    reply '200 OK' "ok
" ;;
  "GET /items")
    list=$(wget -q -O - "$STORE_URL/cgi-bin/kv" 2>/dev/null) ||
      reply '502 Bad Gateway' "the store at $STORE_URL did not answer
"
    [ -n "$list" ] || reply '200 OK' ""
    reply '200 OK' "$(printf '%s\n' "$list" | cut -f2-)
" ;;
  "POST /items")
    case $body in item=*) body=$(httpd -d "${body#item=}") ;; esac
    # One line of text: no tabs or line breaks in a value.
    item=$(printf %s "$body" | tr '\t\r\n' '   ')
    [ -n "${item# }" ] || reply '400 Bad Request' "an item needs some text
"
    key="item-$(date +%s)-$$"
    wget -q -O /dev/null --post-data "$item" "$STORE_URL/cgi-bin/kv/$key" 2>/dev/null ||
      reply '502 Bad Gateway' "the store at $STORE_URL did not take the item
"
    reply '201 Created' "$item
" ;;
  "GET "* | "HEAD "*)
    reply '404 Not Found' "no such path: $path
" ;;
  *)
    reply '405 Method Not Allowed' "$method is not allowed on $path
" ;;
esac
