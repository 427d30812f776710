// Command notebookshot screenshots a notebook in use: it starts a Jupyter server on the
// repository's notebooks, opens one in headless Chromium, runs all its cells, moves its
// sliders (GoNB widgets) to the values given, waits for the cells to redraw, and saves a PNG of
// the page. It is a separate module, so that the project's own build does not need Chromium's
// protocol packages.
//
//	cd tools/notebookshot && go run . -notebook explore.ipynb -move 0=2,3=10 -out /tmp/explore.png
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	notebook := flag.String("notebook", "explore.ipynb", "the notebook, in the repository's notebooks/")
	moves := flag.String("move", "", "comma-separated slider=value: the n-th slider of the page (from 0) set to value, one after the other")
	out := flag.String("out", "notebook.png", "the PNG to write")
	wait := flag.Duration("wait", 3*time.Minute, "how long the cells may take, each stage")
	jupyter := flag.String("jupyter", "/usr/bin/jupyter", "the jupyter command")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the Chromium binary")
	flag.Parse()
	if err := run(*notebook, *moves, *out, *wait, *jupyter, *chromium); err != nil {
		fmt.Fprintln(os.Stderr, "notebookshot:", err)
		os.Exit(1)
	}
}

func run(notebook, moves, out string, wait time.Duration, jupyter, chromium string) error {
	root, err := filepath.Abs(filepath.Join("..", "..", "notebooks"))
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	const token = "notebookshot"
	server := exec.Command(jupyter, "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1",
		"--port="+strconv.Itoa(port), "--NotebookApp.token="+token, "--notebook-dir="+root)
	server.Stdout, server.Stderr = os.Stderr, os.Stderr
	if err := server.Start(); err != nil {
		return err
	}
	defer func() {
		server.Process.Signal(os.Interrupt)
		time.Sleep(time.Second)
		server.Process.Signal(os.Interrupt) // the server asks to confirm a first interrupt
		server.Wait()
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/notebooks/%s?token=%s", port, notebook, token)
	if err := waitPort(port, 30*time.Second); err != nil {
		return err
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 2400))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 10*wait)
	defer cancel()

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) error {
		fmt.Fprintln(os.Stderr, "notebookshot:", what)
		if err := chromedp.Do(ctx, actions...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if err := step("open "+notebook, chromedp.Navigate(url),
		poll(`typeof Jupyter !== "undefined" && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()`, wait)); err != nil {
		return err
	}
	if err := step("run all cells", eval(`Jupyter.notebook.execute_all_cells(); true`),
		poll(`document.querySelectorAll('input[type=range]').length > 0 && !Jupyter.notebook.get_cells().slice(0, -2).some(c => c.element.hasClass('running'))`, wait)); err != nil {
		return err
	}
	if moves != "" {
		for _, m := range strings.Split(moves, ",") {
			i, v, ok := strings.Cut(m, "=")
			if !ok {
				return fmt.Errorf("-move %q: want slider=value", m)
			}
			js := fmt.Sprintf(`(() => { const s = document.querySelectorAll('input[type=range]')[%s]; s.value = %s;
				s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); return true })()`, i, v)
			if err := step("move slider "+m, eval(js), chromedp.Sleep(wait/6)); err != nil {
				return err
			}
		}
	}
	// The notebook scrolls inside the page: bring the first slider's cell to the top.
	if err := step("scroll to the sliders", eval(`(() => { const s = document.querySelector('input[type=range]');
		if (s) { s.closest('.cell').scrollIntoView(); } return true })()`), chromedp.Sleep(time.Second)); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "notebookshot: screenshot")
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	// Shut the kernel down with the session, or it outlives the server, its cell running.
	if err := step("shut the kernel down", eval(`Jupyter.notebook.session.delete(); true`), chromedp.Sleep(2*time.Second)); err != nil {
		return err
	}
	return os.WriteFile(out, png, 0o644)
}

// poll waits until the JavaScript expression cond is true, at most wait.
func poll(cond string, wait time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`() => { try { return `+cond+` } catch (e) { return false } }`,
			chromedp.WithPollingTimeout(wait), chromedp.WithPollingInterval(time.Second)))
		return err
	})
}

// eval runs the JavaScript expression js.
func eval(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		return err
	})
}

// freePort returns a TCP port free on the loopback interface.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitPort waits until something listens on port.
func waitPort(port int, wait time.Duration) error {
	for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return nil
		}
	}
	return fmt.Errorf("no Jupyter server on port %d after %v", port, wait)
}
