package security_test

import (
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal/security"
)

// kib returns about 1 KiB of the unit repeated.
func kib(unit string) string {
	return strings.Repeat(unit, 1024/len(unit)+1)[:1024]
}

// BenchmarkValidate1KiB measures each context on 1 KiB of ordinary input
// (text with a few metacharacters) and, where it differs, 1 KiB of attack
// input.
func BenchmarkValidate1KiB(b *testing.B) {
	for _, bc := range []struct {
		name string
		c    security.Context
		in   string
	}{
		{"SQLIdent", security.SQLIdent, kib("column_name_")},
		{"SQLString", security.SQLString, kib("O'Brien and friends ")},
		{"SQLLike", security.SQLLike, kib("50% off_sale ")},
		{"SQLOrderBy", security.SQLOrderBy, kib("name ASC, ")[:1019] + "x ASC"},
		{"SQLText/benign", security.SQLText, kib("the quick brown fox or the lazy dog ")},
		{"SQLText/attack", security.SQLText, kib("' OR 1=1 UNION SELECT password FROM users; -- ")},
		{"RedisPattern", security.RedisPattern, kib("user:*:session[0-9] ")},
		{"RedisInline", security.RedisInline, kib("value\r\n")},
		{"Lua", security.Lua, kib("local v = redis.call('GET', KEYS[1]) ")},
		{"JSONDoc", security.JSONDoc, `{"items":[` + strings.Repeat(`{"a":1,"$ne":"x"},`, 55) + `{}]}`},
		{"HTML/benign", security.HTML, kib("<p>Hello <b>world</b></p> ")},
		{"HTML/attack", security.HTML, kib(`<img src=x onerror=alert(1)><script>x</script>`)},
		{"HTMLUGC/benign", security.HTMLUGC, kib(`<p>Hello <a href="https://example.com">x</a></p>`)},
		{"HTMLUGC/attack", security.HTMLUGC, kib(`<img src=x onerror=alert(1)><script>x</script>`)},
		{"HTMLAttr", security.HTMLAttr, kib(`say "hi" & <go> `)},
		{"URL", security.URL, "https://example.com/" + kib("path/segment/")[:1000]},
		{"JSString", security.JSString, kib(`it's a "test" </script> `)},
		{"S3Key", security.S3Key, kib("photos/2026/12/img.jpg/")[:1020] + ".jpg"},
		{"WSOrigin", security.WSOrigin, "https://" + kib("a.")[:1000] + "example.com"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = security.Validate(bc.in, bc.c)
			}
		})
	}
}
