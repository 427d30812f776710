package main

import (
	"os"
	"testing"
)

// mainEnv makes this test binary run the mt command on its arguments instead of the tests, so
// that tests can run (and kill) mt as a child process.
const mainEnv = "MT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
