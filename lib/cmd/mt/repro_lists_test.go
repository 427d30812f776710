package main

import (
	"slices"
	"strings"
	"testing"
)

// TestParsePercents checks --percents of Table 5.
func TestParsePercents(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []float64
		ok   bool
	}{
		{"1,2,4", []float64{1, 2, 4}, true},
		{" 0.5, 10 ", []float64{0.5, 10}, true},
		{"0", nil, false},
		{"101", nil, false},
		{"1,x", nil, false},
		{"2,2.0", nil, false},
	} {
		got, err := parsePercents(tc.list)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v (ok %t)", tc.list, got, err, tc.want, tc.ok)
		}
	}
}

// TestParseLabels checks --labels of tables 2 to 4 and 6.
func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []int
	}{
		{"40,250", []int{40, 250}},
		{" 10 ,4000", []int{10, 4000}},
		{"0", nil},
		{"-5", nil},
		{"10,10", nil},
		{"10,", nil},
		{"1e3", nil},
		{"", nil},
	} {
		got, err := parseLabels(tc.list)
		if (err == nil) != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.list, got, err, tc.want)
		}
	}
}

// items is the number of comma-separated items in a list.
func items(list string) int { return strings.Count(list, ",") + 1 }

func FuzzParsePercents(f *testing.F) {
	for _, s := range []string{"1,2,4", " 0.5, 10 ", "0", "101", "1,x", "NaN", "1e2", "1,1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := parsePercents(list)
		if err != nil {
			return
		}
		if len(got) != items(list) {
			t.Fatalf("%q: %d shares from %d items", list, len(got), items(list))
		}
		for i, p := range got {
			if !(p > 0 && p <= 100) || slices.Contains(got[:i], p) {
				t.Fatalf("%q: accepted %v", list, got)
			}
		}
	})
}

func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{"40,250", " 10 ,4000", "0", "-5", "10,10", "99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := parseLabels(list)
		if err != nil {
			return
		}
		if len(got) != items(list) {
			t.Fatalf("%q: %d counts from %d items", list, len(got), items(list))
		}
		for i, n := range got {
			if n <= 0 || slices.Contains(got[:i], n) {
				t.Fatalf("%q: accepted %v", list, got)
			}
		}
	})
}
