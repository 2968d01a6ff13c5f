#!/bin/sh
# The shop's frontend: one HTTP request read from stdin and answered on stdout (`nc -ll -e` starts
# this script for every connection).
#   GET /healthz          "ok"
#   GET /                 the page: the items the API at $API_URL lists, and a form to add one
#   GET /add?item=TEXT    POSTs the item to the API, then sends the browser back to /
API_URL=${API_URL:-http://api:8080}

cr=$(printf '\r')
nl='
'
read -r method target _ || exit 0
while read -r line; do
  line=${line%"$cr"}
  [ -n "$line" ] || break
done
path=${target%%\?*}
query=${target#"$path"}
query=${query#\?}

# reply STATUS CONTENT-TYPE BODY [HEADER]: a whole response; the connection closes after it.
reply() {
  printf 'HTTP/1.0 %s\r\n%sContent-Type: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$1" "${4:+$4$cr$nl}" "$2" "$(printf %s "$3" | wc -c)" "$3"
  exit 0
}

# html: stdin with &, <, > and " escaped.
html() { sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'; }

page() {
  cat <<HTML
<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title></head>
<body><h1>shop</h1>
$1
<form action="/add" method="get"><input name="item" placeholder="a new item" required> <button>Add</button></form>
<p><small>web → api ($API_URL) → store</small></p>
</body></html>
HTML
}

case "$method $path" in
  "GET /healthz" | "HEAD /healthz")
    reply '200 OK' text/plain "ok
" ;;
  "GET /")
    items=$(wget -q -O - "$API_URL/items" 2>/dev/null) ||
      reply '502 Bad Gateway' 'text/html; charset=utf-8' "$(page "<p>The API at $API_URL did not answer.</p>")"
    list=$(printf '%s\n' "$items" | while IFS= read -r item; do
      [ -z "$item" ] || printf '<li>%s</li>\n' "$(printf %s "$item" | html)"
    done)
    [ -n "$list" ] && list="<ul id=\"items\">
$list
</ul>" || list='<p id="items">No items yet.</p>'
    reply '200 OK' 'text/html; charset=utf-8' "$(page "$list")" ;;
  "GET /add")
    # The item stays url-encoded on its way to the API, which decodes it.
    item=
    set -f
    IFS='&'
    for param in $query; do
      case $param in item=*) item=${param#item=} ;; esac
    done
    unset IFS
    [ -n "$item" ] || reply '400 Bad Request' text/plain "add needs ?item=TEXT
"
    wget -q -O /dev/null --post-data "item=$item" "$API_URL/items" 2>/dev/null ||
      reply '502 Bad Gateway' text/plain "the API at $API_URL did not take the item
"
    reply '303 See Other' text/plain "added
" "Location: /" ;;
  "GET "* | "HEAD "*)
    reply '404 Not Found' text/plain "no such path: $path
" ;;
  *)
    reply '405 Method Not Allowed' text/plain "$method is not allowed on $path
" ;;
esac
