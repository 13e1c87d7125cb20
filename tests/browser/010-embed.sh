#!/usr/bin/env bash
# The dashboard build and its compiled-in form: dashboard/embed.sh turns dist/ into C
# (see orchestrator/src/assets.h); a small C program linked with the generated table must
# give back every file byte for byte (and its gzip), find "/" as index.html, mark the
# hashed assets immutable, and find nothing else. Built with the orchestrator's
# warnings as errors and under ASan/UBSan.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
dash="$root/dashboard"
tmp=$(mktemp -d /tmp/sp-embed-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2054 # -std=c11 and friends contain no list separators
CFLAGS_STRICT=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wformat=2 -Wvla -O1 -g -fsanitize=address,undefined
	-fno-sanitize-recover=undefined)

if [ ! -d "$dash/node_modules" ]; then
	(cd "$dash" && npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1 ||
		{ echo "not ok - npm ci in dashboard"; sed 's/^/    # /' "$tmp/npm.log"; exit 1; }
fi
start=$(date +%s%N)
check "the dashboard builds (npm run build)" bash -c "cd '$dash' && npm run --silent build >'$tmp/build.log' 2>&1 || { cat '$tmp/build.log'; exit 1; }"
echo "# build: $((($(date +%s%N) - start) / 1000000)) ms (node start-up included)"
sed -n 's/^  total/# dist total/p' "$tmp/build.log"

check "dist has index.html and hashed assets only" bash -c "
	cd '$dash/dist' && [ -f index.html ] &&
	[ -z \"\$(find . -type f ! -name index.html ! -path './assets/*')\" ] &&
	[ -z \"\$(find assets -type f | grep -vE '^assets/[a-z-]+-[A-Za-z0-9]{8,}\.[a-z0-9]+$')\" ]"
check "index.html loads only its own hashed script and stylesheet (no inline code)" bash -c "
	f='$dash/dist/index.html'
	! grep -qiE '<script>|<script [^>]*>[^<]|<style|style=|javascript:| on[a-z]+=|https?://' \"\$f\" &&
	grep -qE 'src=\"/assets/app-[A-Z0-9]+\.js\"' \"\$f\" && grep -qE 'href=\"/assets/app-style-[A-Z0-9]+\.css\"' \"\$f\""
check "the bundle has no eval, no new Function, no external URL it loads" bash -c "
	! grep -qE '\beval\(|new Function\(' '$dash'/dist/assets/*.js &&
	! grep -qoE '(src|href)=\"?https?://' '$dash'/dist/assets/*.js"

cp "$root/orchestrator/src/assets.h" "$tmp/"
start=$(date +%s%N)
check "embed.sh generates C from dist" bash -c "'$dash/embed.sh' '$dash/dist' >'$tmp/assets_gen.c'"
echo "# embed: $((($(date +%s%N) - start) / 1000000)) ms, $(wc -c <"$tmp/assets_gen.c") bytes of C"

cat >"$tmp/driver.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "assets.h"

static int put(const char *dir, const char *path, const char *suffix, const unsigned char *d, size_t n)
{
    char p[4096], *s;
    FILE *f;
    snprintf(p, sizeof(p), "%s/%s%s", dir, path, suffix);
    for (s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(p, 0700);
        *s = '/';
    }
    if (!(f = fopen(p, "wb")) || fwrite(d, 1, n, f) != n)
        return 1;
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    int bad = 0;
    (void)argc;
    for (size_t i = 0; i < sp_asset_count(); i++) {
        const struct sp_asset *a = sp_asset_at(i);
        bad |= put(argv[1], a->path, "", a->data, a->len);
        bad |= a->data[a->len] != '\0';
        if (a->gzip)
            bad |= put(argv[1], a->path, ".gz", a->gzip, a->gzip_len);
        bad |= sp_asset_find(a->path) != a;
        printf("%s|%zu|%d|%s|%s|%d\n", a->path, a->len, a->immutable, a->content_type, a->etag,
               a->gzip != NULL);
    }
    bad |= sp_asset_at(sp_asset_count()) != NULL;
    bad |= sp_asset_find(NULL) != NULL;
    if (sp_asset_count()) {
        bad |= sp_asset_find("/") == NULL || sp_asset_find("/") != sp_asset_find("index.html") ||
               sp_asset_find("") != sp_asset_find("/index.html");
        bad |= sp_asset_find("/assets/nope.js") != NULL || sp_asset_find("../index.html") != NULL ||
               sp_asset_find("/assets/../index.html") != NULL || sp_asset_find("INDEX.HTML") != NULL;
    } else {
        bad |= sp_asset_find("/") != NULL;
    }
    printf("lookups %s\n", bad ? "FAILED" : "ok");
    return bad;
}
C
check "the generated C compiles with -Wall -Wextra -Werror (the orchestrator's warnings)" \
	cc "${CFLAGS_STRICT[@]}" -I"$tmp" -o "$tmp/driver" "$tmp/driver.c" "$tmp/assets_gen.c"
mkdir -p "$tmp/out"
check "lookups: / is index.html, unknown and traversal paths are not found" bash -c "'$tmp/driver' '$tmp/out' >'$tmp/listing'"
check "every file comes back byte for byte, and its gzip unpacks to it" bash -c "
	cd '$dash/dist' && n=0
	for f in \$(find . -type f | sed 's|^\./||'); do
		cmp -s \"\$f\" '$tmp/out/'\"\$f\" || { echo \"differs: \$f\"; exit 1; }
		if [ -f '$tmp/out/'\"\$f\".gz ]; then gzip -dc '$tmp/out/'\"\$f\".gz | cmp -s - \"\$f\" || { echo \"gzip differs: \$f\"; exit 1; }; fi
		n=\$((n + 1))
	done
	[ \"\$n\" -eq \"\$(grep -c '|' '$tmp/listing')\" ]"
check "hashed assets are immutable, index.html is not; types and ETags are right" bash -c "
	grep -q '^index.html|[0-9]*|0|text/html; charset=utf-8|\"[0-9a-f]\{16\}\"|' '$tmp/listing' &&
	grep -qE '^assets/app-[A-Z0-9]+\.js\|[0-9]+\|1\|text/javascript; charset=utf-8\|' '$tmp/listing' &&
	grep -qE '^assets/app-style-[A-Z0-9]+\.css\|[0-9]+\|1\|text/css; charset=utf-8\|' '$tmp/listing' &&
	grep -qE '^assets/favicon-[0-9a-f]+\.svg\|[0-9]+\|1\|image/svg\+xml\|' '$tmp/listing' &&
	! grep -q '^assets/[^|]*|[0-9]*|0|' '$tmp/listing'"
grep -E '^[^|]+\|' "$tmp/listing" | awk -F'|' '{ printf "# %-34s %7d B%s\n", $1, $2, ($6 ? " (+gzip)" : "") }'

mkdir -p "$tmp/empty"
check "an unbuilt dashboard gives an empty table that still compiles" bash -c "
	'$dash/embed.sh' '$tmp/nonexistent' >'$tmp/empty.c' &&
	cc ${CFLAGS_STRICT[*]} -I'$tmp' -o '$tmp/driver0' '$tmp/driver.c' '$tmp/empty.c' &&
	'$tmp/driver0' '$tmp/empty' | grep -qx 'lookups ok'"
check_fails_with "a file name that would break the C string is refused" "refusing" bash -c "
	mkdir -p '$tmp/odd/assets' && echo x >'$tmp/odd/assets/a\"b.js' && '$dash/embed.sh' '$tmp/odd' >/dev/null"
