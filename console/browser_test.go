package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/internal/testenv"
	"github.com/infra-arsenal/arsenal/sqlite"
)

// browser drives headless Chromium on the console page.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

func (b *browser) eval(js string) any {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](js))
	require.NoError(b.t, err, js)
	return v
}

func (b *browser) text(id string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById(`+q(id)+`).textContent`))
	require.NoError(b.t, err, id)
	return v
}

// wait polls a JavaScript predicate for up to 25 s (the machine may be
// loaded, and -race slows the server down).
func (b *browser) wait(js string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(25*time.Second)))
	if err != nil {
		msg, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".error")).map(e => e.id + ": " + e.textContent).join("; ")`))
		require.NoError(b.t, err, "waiting for %s (errors on the page: %s)", js, msg)
	}
}

func (b *browser) click(id string) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Do(b.ctx, chromedp.Click("#"+id, chromedp.NodeVisible)), id)
}

// set types v into the input or select id and fires its events.
func (b *browser) set(id, v string) {
	b.t.Helper()
	b.eval(`(() => { const e = document.getElementById(` + q(id) + `); e.value = ` + q(v) + `;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
}

// codeChanges runs act and waits for the generated program of key to be
// re-rendered with a different source.
func (b *browser) codeChanges(key string, act func()) (before, after string) {
	b.t.Helper()
	id := "cg-src-" + key
	b.wait(`(document.getElementById(` + q(id) + `)||{}).textContent > ""`)
	before = b.text(id)
	act()
	b.wait(`((e) => e !== null && e.textContent > "" && e.textContent !== ` + q(before) + `)(document.getElementById(` + q(id) + `))`)
	return before, b.text(id)
}

// codeShows is codeChanges followed by a wait for the generated code to
// contain want: a regeneration still in flight from an earlier edit can
// change the text first, and the one act asked for lands after it.
func (b *browser) codeShows(key string, act func(), want string) {
	b.t.Helper()
	b.codeChanges(key, act)
	b.wait(`(document.getElementById(` + q("cg-src-"+key) + `)||{textContent:""}).textContent.includes(` + q(want) + `)`)
}

func (b *browser) screenshots(dir, tab string) {
	b.t.Helper()
	for _, w := range []int64{1400, 420} {
		require.NoError(b.t, chromedp.Do(b.ctx, chromedp.EmulateViewport(w, 900)))
		b.wait(`window.innerWidth === ` + fmt.Sprint(w))
		over := b.eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`)
		assert.EqualValues(b.t, 0, over, "%s overflows horizontally at %d px", tab, w)
		img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		require.NoError(b.t, err)
		_, err = png.DecodeConfig(bytes.NewReader(img))
		require.NoError(b.t, err, "screenshot is a PNG")
		require.NoError(b.t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", tab, w)), img, 0o644))
	}
	require.NoError(b.t, chromedp.Do(b.ctx, chromedp.EmulateViewport(1400, 900)))
}

// TestBrowserClicksEveryTab opens the console in headless Chromium over
// real components and clicks through every tab, checking each effect on
// the component itself. Screenshots at 1400 and 420 px go to
// $ARSENAL_CONSOLE_SCREENSHOTS (default: the test's temp dir).
func TestBrowserClicksEveryTab(t *testing.T) {
	bin := testenv.RequirePeer(t, "chromium")
	procs := runtime.GOMAXPROCS(0)
	f := newFixture(t, console.Options{AllowScaling: true})
	shots := os.Getenv("ARSENAL_CONSOLE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))

	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, 120*time.Second)
	defer cancel3()
	b := &browser{t: t, ctx: ctx}

	require.NoError(t, chromedp.Do(ctx), "start the browser before listening to its console")
	var mu sync.Mutex
	var problems []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || m.Type == "warning" || m.Type == "assert" {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1400, 900), chromedp.Navigate(f.srv.URL+"/")))
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible("#tab-sqlite")))
	b.wait(`document.getElementById("live-mode").textContent === "live"`)

	// --- sqlite: options, types equal typeof(), exact big integers, code follows options.
	b.wait(`document.getElementById("sq-meta").textContent.includes("3 rows")`)
	b.wait(`document.querySelectorAll("#sq-types tbody tr").length === 6`)
	shown := b.eval(`Object.fromEntries(Array.from(document.querySelectorAll("#sq-types tbody tr")).map(r => [r.dataset.column, r.children[2].textContent]))`).(map[string]any)
	ref, err := sqlite.Open(ctx, sqlite.Config{})
	require.NoError(t, err)
	defer ref.Close()
	_, err = ref.Exec(ctx, sampleForTest)
	require.NoError(t, err)
	for col, types := range shown {
		rows, err := ref.Values(ctx, `SELECT typeof(`+col+`) FROM users ORDER BY id`)
		require.NoError(t, err)
		var want []string
		for _, r := range rows {
			want = append(want, r[0].(string))
		}
		assert.Equal(t, strings.Join(want, ", "), types, "column %s", col)
	}
	assert.EqualValues(t, 2, b.eval(`document.querySelectorAll("#sq-types .surprise").length > 0 ? document.querySelectorAll("#sq-types tr[data-column=joined] .surprise").length : -1`), "the '2020' and 1700000000 in DATETIME are highlighted")
	assert.Contains(t, b.text("sq-note"), "reads 9007199254740993 as 9007199254740992", "the rounding is shown")
	b.codeShows("sqlite", func() { b.click("sq-safe") }, "SafeIntegers")
	b.wait(`document.getElementById("sq-rows").textContent.includes('"9007199254740993"')`)
	b.click("sq-readonly")
	b.set("sq-query", "update")
	b.wait(`document.getElementById("sq-error").textContent.includes("FailedPrecondition")`)
	b.click("sq-strict")
	b.set("sq-query", "users")
	b.click("sq-run")
	b.wait(`document.getElementById("sq-error").textContent === ""`)
	b.codeShows("sqlite", func() { b.set("cg-lang-sqlite", "typescript") }, "bun:sqlite")
	assert.Nil(t, b.eval(`document.querySelector("#panel-sqlite img")`), "the <img> in a row is text")
	assert.Contains(t, b.text("cg-report-sqlite"), "syntax")
	b.screenshots(shots, "sqlite")

	// --- redis: SET, GET, HSET, PUBLISH on the real server, subscribe pane, history.
	b.click("tab-redis")
	b.wait(`!document.getElementById("panel-redis").hidden && document.getElementById("rd-conn").textContent.includes("connected")`)
	payload := `<img src=x onerror="window.__pwned=1">`
	b.set("rd-key", payload)
	b.set("rd-value", "from the browser")
	b.click("rd-set")
	b.wait(`document.getElementById("rd-last").textContent.includes("→ OK")`)
	got, err := f.redis.Get(ctx, console.DefaultDemoPrefix+payload)
	require.NoError(t, err)
	assert.Equal(t, "from the browser", got, "the key is in redis-server")
	b.click("rd-get")
	b.wait(`document.getElementById("rd-last").textContent.includes("GET") && document.getElementById("rd-last").textContent.includes("from the browser")`)
	b.set("rd-key", "profile")
	b.click("rd-hset")
	b.wait(`document.getElementById("rd-last").textContent.includes("HSET")`)
	hv, err := f.redis.HGet(ctx, console.DefaultDemoPrefix+"profile", "lang")
	require.NoError(t, err)
	assert.Equal(t, "from the browser", hv)
	b.click("rd-hgetall")
	b.wait(`document.getElementById("rd-last").textContent.includes("lang=from the browser")`)
	b.click("rd-subscribe")
	b.wait(`document.getElementById("rd-subs").textContent.includes("subscribed: arsenal-console:events")`)
	b.set("rd-value", "pubsub hello")
	b.click("rd-publish")
	b.wait(`document.getElementById("rd-messages").textContent.includes("pubsub hello")`)
	b.wait(`document.querySelectorAll("#rd-history tbody tr").length === 6`)
	assert.Contains(t, b.text("rd-lat"), "p99")
	assert.Nil(t, b.eval(`window.__pwned`), "the key name rendered as text")
	assert.Nil(t, b.eval(`document.querySelector("#panel-redis img")`))
	b.codeChanges("redis", func() { b.set("cf-redis-DB", "3") })
	b.codeShows("redis", func() { b.click("cg-f-redis-pubsub") }, "Subscribe")
	b.click("cg-copy-redis")
	b.screenshots(shots, "redis")

	// --- websocket: subprotocol pills, header rows, compression, connect.
	b.click("tab-websocket")
	b.wait(`document.getElementById("cg-src-websocket") && document.getElementById("cg-src-websocket").textContent > ""`)
	b.codeChanges("websocket", func() {
		b.eval(`Array.from(document.querySelectorAll("#ws-protos .pill")).find(p => p.textContent === "arsenal.json.v2").click()`)
	})
	b.eval(`Array.from(document.querySelectorAll("#ws-protos .pill")).find(p => p.textContent === "arsenal.echo.v1").click()`)
	b.click("ws-add-header")
	b.eval(`(() => { const r = document.querySelectorAll("#ws-headers .hdr-row")[1]; r.children[0].value = "X-Trace"; r.children[1].value = "abc"; r.children[0].dispatchEvent(new Event("input")); return true })()`)
	b.click("ws-connect")
	b.wait(`document.getElementById("ws-result").textContent.includes("arsenal.json.v2")`)
	res := b.text("ws-result")
	assert.Contains(t, res, "permessage-deflate")
	assert.Contains(t, res, "compression ratio")
	assert.Contains(t, b.text("ws-log"), `"X-Trace":"abc"`, "the echo server saw the edited header")
	b.wait(`document.querySelector("#ws-rtt-chart svg polyline") !== null`)
	b.codeShows("websocket", func() { b.click("ws-compress") }, "DisableCompression")
	b.eval(`document.querySelectorAll("#ws-headers .hdr-row button")[0].click()`)
	assert.EqualValues(t, 1, b.eval(`document.querySelectorAll("#ws-headers .hdr-row").length`))
	b.screenshots(shots, "websocket")

	// --- s3: storage class, URL style, upload with progress, list, presign.
	b.click("tab-s3")
	b.wait(`document.getElementById("s3-class").options.length > 5`)
	b.codeShows("s3", func() { b.set("s3-class", "STANDARD") }, "STANDARD")
	b.codeChanges("s3", func() { b.click("cf-s3-Anonymous") })
	b.codeShows("s3", func() { b.set("cg-cx-s3", "advanced") }, "Presign") // advanced turns every feature on
	assert.True(t, b.eval(`document.getElementById("cg-f-s3-presign").checked`).(bool))
	b.codeChanges("s3", func() { b.set("cg-lang-s3", "javascript") })
	b.codeShows("s3", func() { b.set("cg-fw-s3", "node") }, "@aws-sdk/client-s3")
	b.eval(`document.querySelector("input[name=s3-style][value=virtual]").click()`)
	b.wait(`document.getElementById("s3-urls").textContent.includes("virtual-hosted")`)
	file := filepath.Join(t.TempDir(), "upload.txt")
	content := strings.Repeat("streamed through the multipart writer\n", 2000)
	require.NoError(t, os.WriteFile(file, []byte(content), 0o644))
	require.NoError(t, chromedp.Do(ctx, chromedp.SetUploadFiles("#s3-file", []string{file})))
	b.set("s3-key", "browser/upload.txt")
	b.click("s3-upload")
	b.wait(`document.getElementById("s3-up-result").textContent.includes("uploaded")`)
	assert.EqualValues(t, 100, b.eval(`document.getElementById("s3-progress").value`))
	obj, err := f.s3.GetBytes(ctx, "arsenal-console/browser/upload.txt", nil)
	require.NoError(t, err)
	assert.Equal(t, content, string(obj), "the object is in versitygw")
	b.set("s3-lprefix", "browser/")
	b.click("s3-list")
	b.wait(`document.getElementById("s3-objects").textContent.includes("browser/upload.txt")`)
	dl := t.TempDir()
	_, err = chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: "allow", DownloadPath: dl})
	require.NoError(t, err)
	b.click("s3-download")
	require.Eventually(t, func() bool {
		got, err := os.ReadFile(filepath.Join(dl, "upload.txt"))
		return err == nil && string(got) == content
	}, 15*time.Second, 50*time.Millisecond, "the download button saves the object")
	b.click("s3-presign")
	b.wait(`document.getElementById("s3-presigned-url") !== null`)
	resp, err := http.Get(b.text("s3-presigned-url"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, content, string(body), "the presigned URL serves the object")
	b.screenshots(shots, "s3")

	// --- performance: a short run with progress, charts, committed results.
	b.click("tab-performance")
	b.set("pf-levels", "1,2")
	b.set("pf-dur", "300")
	b.click("pf-run")
	b.wait(`document.getElementById("pf-status").textContent.startsWith("done")`)
	assert.EqualValues(t, 2, b.eval(`document.querySelectorAll("#pf-levels-table tbody tr").length`))
	b.wait(`document.querySelector("#pf-chart-lat svg rect") !== null && document.querySelector("#pf-chart-ops svg rect") !== null && document.querySelector("#pf-chart-res svg polyline") !== null`)
	b.wait(`document.querySelectorAll("#pf-committed svg rect").length > 3`)
	b.click("pf-scaling")
	b.set("pf-dur", "300")
	b.click("pf-run")
	b.wait(`document.querySelectorAll("#pf-chart-scale svg rect").length === ` + fmt.Sprint(runtime.NumCPU()))
	assert.Equal(t, procs, runtime.GOMAXPROCS(0), "restored after the scaling analysis")
	b.click("pf-scaling")
	b.set("pf-domain", "redis")
	b.wait(`document.getElementById("pf-committed").textContent.includes("redis: ops/s")`)
	b.set("pf-levels", "1")
	b.set("pf-dur", "3000")
	b.click("pf-run")
	b.wait(`!document.getElementById("pf-cancel").disabled`)
	b.click("pf-cancel")
	b.wait(`document.getElementById("pf-run").disabled === false && document.getElementById("pf-error").textContent.includes("Canceled")`)
	b.screenshots(shots, "performance")

	// --- examples: components and gauges, a generated program per domain.
	b.click("tab-examples")
	b.wait(`document.querySelectorAll("#ex-components tbody tr").length === 3`)
	b.wait(`document.getElementById("cg-src-examples") && document.getElementById("cg-src-examples").textContent > ""`)
	b.codeChanges("examples", func() { b.set("ex-domain", "s3") })
	assert.Contains(t, b.text("ex-gauges"), "files gauges")
	b.screenshots(shots, "examples")

	// Keyboard: arrow keys move between tabs.
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus("#tab-examples"), chromedp.KeyEvent(kb.ArrowLeft)))
	b.wait(`!document.getElementById("panel-performance").hidden`)

	text := b.eval(`document.body.innerText`).(string)
	for _, s := range f.secrets {
		assert.NotContains(t, text, s)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, problems, "browser console errors")
}
