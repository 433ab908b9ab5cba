package console_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/infra-arsenal/arsenal"
	"github.com/infra-arsenal/arsenal/console"
	"github.com/infra-arsenal/arsenal/examples/library"
	"github.com/infra-arsenal/arsenal/internal/testenv"
)

// startBrowser opens url in headless Chromium; problems returns the
// errors and warnings the page logged so far.
func startBrowser(t *testing.T, url string) (b *browser, problems func() []string) {
	t.Helper()
	bin := testenv.RequirePeer(t, "chromium")
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	require.NoError(t, chromedp.Do(ctx), "start the browser before listening to its console")
	var mu sync.Mutex
	var logged []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || m.Type == "warning" || m.Type == "assert" {
				mu.Lock()
				logged = append(logged, m.String())
				mu.Unlock()
			}
		}
	}()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1400, 900), chromedp.Navigate(url)))
	return &browser{t: t, ctx: ctx}, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), logged...)
	}
}

// TestBrowserSearchesTheCatalogAndWalksATutorial types in the examples
// search box and sees the list narrow, opens an example, then walks the
// Redis tutorial: Check fails, Hint, Show solution, apply, Check passes
// for each step, with the first step's key checked in redis-server.
func TestBrowserSearchesTheCatalogAndWalksATutorial(t *testing.T) {
	f := newFixture(t, console.Options{AllowTutorialSolutions: true})
	b, problems := startBrowser(t, f.srv.URL+"/#examples")
	ctx := b.ctx
	shots := os.Getenv("ARSENAL_CONSOLE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))

	// --- the catalog: every example, then narrowed by typing and a filter.
	count := `document.querySelectorAll("#ex-list button").length`
	all := len(library.All())
	b.wait(count + ` === ` + itoa(all))
	assert.Equal(t, itoa(all)+" of "+itoa(all)+" examples", b.text("ex-count"))
	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys("#ex-search", "upload", chromedp.NodeVisible)))
	b.wait(count + ` > 0 && ` + count + ` < ` + itoa(all))
	var uploads []string
	for _, e := range library.Filter(library.Query{Text: "upload"}) {
		uploads = append(uploads, e.Name)
	}
	b.wait(`document.getElementById("ex-count").textContent.startsWith(` + q(itoa(len(uploads))+" of") + `)`)
	b.set("ex-database", "s3")
	s3Uploads := library.Filter(library.Query{Text: "upload", Database: "s3"})
	b.wait(`document.getElementById("ex-count").textContent.startsWith(` + q(itoa(len(s3Uploads))+" of") + `)`)
	shown := b.eval(`Array.from(document.querySelectorAll("#ex-list button")).map(b => b.dataset.name)`).([]any)
	require.Len(t, shown, len(s3Uploads))
	for i, e := range s3Uploads {
		assert.Equal(t, e.Name, shown[i])
	}

	// --- one example: description and its source, read-only.
	want := s3Uploads[0]
	src, err := library.Source(want.Name)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`#ex-list button[data-name=`+q(want.Name)+`]`, chromedp.NodeVisible)))
	b.wait(`document.getElementById("ex-title").textContent === ` + q(want.Title))
	assert.Equal(t, want.Description, b.text("ex-desc"))
	assert.Contains(t, b.text("ex-facts"), "go run ./"+want.Path)
	assert.Equal(t, src["main.go"], b.text("ex-code"))
	assert.Equal(t, false, b.eval(`document.getElementById("ex-code").isContentEditable`))
	b.click("ex-copy")
	b.wait(`document.getElementById("ex-copied").textContent !== ""`)

	// Markup typed in the search box stays text.
	b.set("ex-database", "")
	b.set("ex-search", `<img src=x onerror="window.__pwned=1">`)
	b.wait(`document.getElementById("ex-list").textContent === "no example matches"`)
	assert.Nil(t, b.eval(`window.__pwned`))
	assert.Nil(t, b.eval(`document.querySelector("#panel-examples img")`))
	b.set("ex-search", "")
	b.wait(count + ` === ` + itoa(all))
	b.screenshots(shots, "examples-catalog")

	// --- a tutorial: Check fails, Hint, Show solution, apply, Check passes.
	b.click("tab-tutorials")
	b.wait(`document.getElementById("tu-pick").options.length === 4`)
	b.set("tu-pick", "redis")
	b.wait(`document.getElementById("tu-step-title").textContent === "Step 1 of 6: Store a string"`)
	assert.Contains(t, b.text("tu-target"), console.DefaultDemoPrefix+"tutorial:")
	b.click("tu-check")
	b.wait(`document.getElementById("tu-error").textContent.startsWith("FailedPrecondition")`)
	assert.Equal(t, "not done", b.text("tu-status-1"))
	assert.Equal(t, "0 of 6 steps done", b.text("tu-progress"))
	b.click("tu-hint-btn")
	b.wait(`!document.getElementById("tu-hint").hidden`)
	assert.NotEmpty(t, b.text("tu-hint"))
	assert.Equal(t, true, b.eval(`document.getElementById("tu-code").hidden && document.getElementById("tu-apply").hidden`), "the solution is hidden until asked for")
	b.click("tu-solution-btn")
	b.wait(`!document.getElementById("tu-code").hidden && !document.getElementById("tu-apply").hidden`)
	assert.Contains(t, b.text("tu-code"), "Set(")
	b.click("tu-apply")
	b.wait(`document.getElementById("tu-result").textContent.startsWith("solution applied")`)
	got, err := f.redis.Get(ctx, console.DefaultDemoPrefix+"tutorial:greeting")
	require.NoError(t, err)
	assert.Equal(t, "hello", got, "the solution wrote under the console's prefix")
	b.click("tu-check")
	b.wait(`document.getElementById("tu-result").textContent === "✓ step 1 done"`)
	assert.Equal(t, "", b.text("tu-error"))
	assert.Equal(t, "✓ done", b.text("tu-status-1"))
	assert.Equal(t, "1 of 6 steps done", b.text("tu-progress"))
	// The other steps the same way, with the progress counting up.
	for n := 2; n <= 6; n++ {
		b.click("tu-next")
		b.wait(`document.getElementById("tu-step-title").textContent.startsWith(` + q("Step "+itoa(n)+" of 6") + `)`)
		st := q("tu-status-" + itoa(n))
		b.click("tu-check")
		b.wait(`document.getElementById(` + st + `).textContent === "not done"`)
		b.click("tu-solution-btn")
		b.click("tu-apply")
		b.wait(`document.getElementById("tu-result").textContent.startsWith("solution applied")`)
		b.click("tu-check")
		b.wait(`document.getElementById(` + st + `).textContent === "✓ done"`)
		assert.Equal(t, itoa(n)+" of 6 steps done", b.text("tu-progress"))
	}
	assert.EqualValues(t, true, b.eval(`document.getElementById("tu-next").disabled`), "the last step")
	b.click("tu-check-all")
	b.wait(`document.querySelectorAll("#tu-steps .st-done").length === 6`)
	b.screenshots(shots, "tutorials")
	b.click("tu-reset")
	b.wait(`document.getElementById("tu-result").textContent.startsWith("started over")`)
	assert.Equal(t, "0 of 6 steps done", b.text("tu-progress"))
	_, err = f.redis.Get(ctx, console.DefaultDemoPrefix+"tutorial:greeting")
	assert.Equal(t, arsenal.NotFound, arsenal.CodeOf(err), "Start over deleted the tutorial's keys: %v", err)

	text := b.eval(`document.body.innerText`).(string)
	for _, s := range f.secrets {
		assert.NotContains(t, text, s)
	}
	assert.Empty(t, problems(), "browser console errors")
}

func itoa(n int) string { return strconv.Itoa(n) }
