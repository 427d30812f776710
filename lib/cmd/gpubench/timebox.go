package main

import "time"

// timeBoxed calls call, each call waited for, until the next call would overrun budget seconds
// at the mean time of the calls so far; it makes at least one. It returns the calls made and
// the first error.
func timeBoxed(budget float64, call func() error) (calls int, err error) {
	start := time.Now()
	for calls = 1; ; calls++ {
		if err := call(); err != nil {
			return calls, err
		}
		if time.Since(start).Seconds()*float64(calls+1)/float64(calls) > budget {
			return calls, nil
		}
	}
}
