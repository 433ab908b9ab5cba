package s3

import (
	"context"
	"strings"
	"testing"

	"github.com/infra-arsenal/arsenal/security"
)

// FuzzParseList checks the ListBucketResult scanner never panics or
// hangs on any input.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b</Key><Size>3</Size><ETag>&quot;x&quot;</ETag><Owner><ID>o</ID></Owner></Contents><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes><NextContinuationToken>t</NextContinuationToken></ListBucketResult>`,
		`<ListBucketResult><Contents><Key>`, `<`, `</`, `<Contents/>`, `<!-- c --><Key>x</Key>`,
		// An owner outside its object, and one left open across objects.
		`<ListBucketResult><Owner><Contents><ID>x</ID></Contents></Owner></ListBucketResult>`,
		`<ListBucketResult><Contents><Owner></Contents><Contents><DisplayName>d</DisplayName></Contents></ListBucketResult>`,
		`</Contents></Owner></CommonPrefixes><ID>x</ID>`,
	} {
		f.Add([]byte(s))
	}
	c := &Client{}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := c.parseList(b)
		if err == nil && !p.IsTruncated && p.NextContinuationToken != "" {
			t.Fatal("a token on a final page")
		}
	})
}

// listVocab are the pieces FuzzParseListShapes builds documents from:
// every element the scanner knows, opened, closed and empty, so that
// nesting mistakes (an Owner outside its Contents) are a few bytes away
// instead of a long byte-level mutation.
var listVocab = []string{
	"<ListBucketResult>", "</ListBucketResult>", "<Contents>", "</Contents>", "<Owner>", "</Owner>",
	"<CommonPrefixes>", "</CommonPrefixes>", "<ID>i</ID>", "<DisplayName>n</DisplayName>", "<Key>k</Key>",
	"<Key>a&amp;b</Key>", "<Size>7</Size>", "<Size>-1</Size>", "<ETag>&quot;e&quot;</ETag>",
	"<LastModified>2024-05-01T10:11:12Z</LastModified>", "<StorageClass>S</StorageClass>", "<Prefix>p/</Prefix>",
	"<IsTruncated>true</IsTruncated>", "<IsTruncated>false</IsTruncated>", "<NextContinuationToken>t</NextContinuationToken>",
	"<KeyCount>2</KeyCount>", "<Contents/>", "<Owner/>", "<!-- c -->", "<?xml version=\"1.0\"?>",
	"<Contents a=\"b\">", "<", ">", "</", "&", "text", "<ID>", "<Key>",
}

// FuzzParseListShapes is structure-aware: each input byte picks a piece
// of listVocab, so the fuzzer explores element orders and nesting.
func FuzzParseListShapes(f *testing.F) {
	f.Add([]byte{0, 4, 2, 8, 3, 5, 1})    // Owner, Contents, ID: the nil-owner shape
	f.Add([]byte{0, 2, 4, 3, 2, 9, 3, 1}) // Owner left open across objects
	f.Add([]byte{0, 2, 10, 12, 14, 4, 8, 9, 5, 3, 6, 17, 7, 18, 20, 1})
	c := &Client{cfg: Config{Prefix: "p"}}
	f.Fuzz(func(t *testing.T, picks []byte) {
		var b strings.Builder
		closes := 0
		for _, p := range picks {
			piece := listVocab[int(p)%len(listVocab)]
			if piece == "</Contents>" {
				closes++
			}
			b.WriteString(piece)
		}
		p, err := c.parseList([]byte(b.String()))
		if err != nil {
			return
		}
		if len(p.Objects) > closes {
			t.Fatalf("%d objects from %d </Contents>", len(p.Objects), closes)
		}
		if !p.IsTruncated && p.NextContinuationToken != "" {
			t.Fatal("a token on a final page")
		}
	})
}

func TestParseListReadsEveryField(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>pre/a&amp;b &lt;c&gt;</Key><LastModified>2024-05-01T10:11:12.345Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>42</Size><Owner><ID>id1</ID><DisplayName>ada</DisplayName></Owner><StorageClass>GLACIER</StorageClass></Contents>
<CommonPrefixes><Prefix>pre/dir/</Prefix></CommonPrefixes><NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>`
	c := &Client{cfg: Config{Prefix: "pre/"}}
	p, err := c.parseList([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects) != 1 {
		t.Fatalf("objects %+v", p.Objects)
	}
	o := p.Objects[0]
	checks := []struct{ name, got, want string }{
		{"key (entities decoded, prefix stripped)", o.Key, "a&b <c>"},
		{"etag unquoted", o.ETag, "abc"},
		{"storage class", o.StorageClass, "GLACIER"},
		{"owner id", o.Owner.ID, "id1"},
		{"owner name", o.Owner.DisplayName, "ada"},
		{"last modified", o.LastModified.Format("2006-01-02T15:04:05.000"), "2024-05-01T10:11:12.345"},
		{"prefix", p.CommonPrefixes[0], "dir/"},
		{"token", p.NextContinuationToken, "tok+/="},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if o.Size != 42 || !p.IsTruncated || p.KeyCount != 2 {
		t.Errorf("size %d truncated %v count %d", o.Size, p.IsTruncated, p.KeyCount)
	}
}

// Without an Observer or SlowThreshold, beginning and ending an operation
// allocates nothing.
func TestNoObserverCostsNoAllocation(t *testing.T) {
	c, err := Open(context.Background(), Config{Bucket: "bkt", Endpoint: "http://127.0.0.1:1", AccessKeyID: "a", SecretAccessKey: security.NewSecret("b")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if n := testing.AllocsPerRun(200, func() {
		k := c.begin(ctx, c.opPut, "put", "key")
		_ = c.end(&k, nil, 0, 1)
	}); n != 0 {
		t.Errorf("%v allocations per operation without an observer", n)
	}
}
