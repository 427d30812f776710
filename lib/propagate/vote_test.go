package propagate

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// refVote evaluates Eq. 5 plainly for row u: every labelled row but u itself, sorted by
// float64 cosine, the first K = min(candidates, k) and every later one within 1e-6 of the K-th
// vote exp(cos/T)/n_c for their class, and the votes are divided by their sum. nearTie reports
// a similarity gap between 1e-6 and 1e-5 past the last voter, where float32 rounding may make
// another row a voter.
func refVote(x Matrix, u int, labelled []int, labels []int32, numClasses, k int, temperature float64) (shares []float64, nearTie bool) {
	count := make([]float64, numClasses)
	for _, y := range labels {
		count[y]++
	}
	class := map[int]int32{}
	var cands []candidate
	for t, i := range labelled {
		class[i] = labels[t]
		if i != u {
			cands = append(cands, candidate{dot64(x.Row(u), x.Row(i)), i})
		}
	}
	sortCandidates(cands)
	kk := min(len(cands), k)
	for kk > 0 && kk < len(cands) && cands[kk-1].sim-cands[kk].sim <= 1e-6 {
		kk++
	}
	z := make([]float64, numClasses)
	for _, c := range cands[:kk] {
		z[class[c.row]] += math.Exp(c.sim/temperature) / count[class[c.row]]
	}
	var sum float64
	for _, v := range z {
		sum += v
	}
	if sum > 0 {
		for c := range z {
			z[c] /= sum
		}
	}
	nearTie = kk < len(cands) && cands[kk-1].sim-cands[kk].sim < 1e-5
	return z, nearTie
}

func TestVoteMatchesEq5(t *testing.T) {
	clusteredX, truth := clustered(600, 24, 5, 0.3, 13)
	idx5, lab5 := firstPerClass(truth, 5, 5)
	idx1, lab1 := firstPerClass(truth, 5, 1)
	// Unbalanced: 20 labels of class 0, 2 of the others, so 1/n_c matters.
	var idxU []int
	var labU []int32
	for c, per := range []int{20, 2, 2, 2, 2} {
		n := 0
		for i, y := range truth {
			if int(y) == c && n < per {
				idxU, labU = append(idxU, i), append(labU, y)
				n++
			}
		}
	}
	rnd := randomRows(700, 10, 4)
	var idxR []int
	var labR []int32
	for i := 0; i < 700; i += 9 { // 78 labels over 3 classes, some labelled rows past row 512
		idxR, labR = append(idxR, i), append(labR, int32(i%3))
	}
	cases := []struct {
		name        string
		x           Matrix
		labelled    []int
		labels      []int32
		classes, k  int
		temperature float64
	}{
		{"5 per class k=200 (K = n_l)", clusteredX, idx5, lab5, 5, 200, 0.1},
		{"5 per class k=7", clusteredX, idx5, lab5, 5, 7, 0.1},
		{"1 per class k=1", clusteredX, idx1, lab1, 5, 1, 0.1},
		{"1 per class k=4 (labelled rows: K = n_l − 1)", clusteredX, idx1, lab1, 5, 4, 0.1},
		{"unbalanced k=10", clusteredX, idxU, labU, 5, 10, 0.1},
		{"unbalanced k=200 T=0.5", clusteredX, idxU, labU, 5, 200, 0.5},
		{"random k=15 T=0.05", rnd, idxR, labR, 3, 15, 0.05},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := mustNormalize(t, tc.x)
			got, err := Vote(x, tc.labelled, tc.labels, tc.classes, tc.k, tc.temperature, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != x.N || got.D != tc.classes {
				t.Fatalf("logits %d×%d, want %d×%d", got.N, got.D, x.N, tc.classes)
			}
			ties := 0
			for u := 0; u < x.N; u++ {
				want, nearTie := refVote(x, u, tc.labelled, tc.labels, tc.classes, tc.k, tc.temperature)
				row := got.Row(u)
				for c := range want {
					if d := math.Abs(float64(row[c]) - want[c]); d > 1e-5 {
						if nearTie {
							ties++
							break
						}
						t.Fatalf("row %d: shares %v, Eq. 5 gives %v", u, row, want)
					}
				}
			}
			if ties > x.N/100 {
				t.Errorf("%d rows differ at a near-tie; too many", ties)
			}
			// The rows from an offset on (past a block boundary) are Vote's rows, bit for bit.
			from := x.N - 300
			tail, err := voteRows(x, from, tc.labelled, tc.labels, tc.classes, tc.k, tc.temperature, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tail.N != x.N-from || !slices.Equal(tail.Data, got.Data[from*got.D:]) {
				t.Errorf("voteRows from row %d: %d rows, not Vote's last %d", from, tail.N, x.N-from)
			}
		})
	}
}

// TestVoteHand checks cases small enough to do by hand.
func TestVoteHand(t *testing.T) {
	// Rows 0 and 1 are identical and labelled 0 and 1; row 2 is identical too; row 3 is
	// orthogonal to them and labelled 1.
	x := Matrix{N: 4, D: 2, Data: []float32{1, 0, 1, 0, 1, 0, 0, 1}}
	labelled := []int{0, 1, 3}
	labels := []int32{0, 1, 1}
	e10, e0 := math.Exp(10), 1.0 // exp(cos/0.1) for cos 1 and 0
	cases := []struct {
		name string
		k    int
		want [][]float64
	}{
		// k = 1: a labelled row never votes for itself, so row 0 hears row 1 (cosine 1, ahead
		// of row 3 at 0) and row 1 hears row 0. Rows 0 and 1 tie for row 2 (both cosine 1) and
		// for row 3 (both 0): both vote, and class 1's vote is halved, as it has two labels.
		{"k=1", 1, [][]float64{{0, 1}, {1, 0}, norm2of(1, 0.5), norm2of(1, 0.5)}},
		// k = 2: class 1 has two labels, so its votes are halved.
		{"k=2", 2, [][]float64{
			norm2of(0, e10/2+e0/2),
			norm2of(e10, e0/2),
			norm2of(e10, e10/2),
			norm2of(e0, e0/2),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Vote(x, labelled, labels, 2, tc.k, 0.1, nil)
			if err != nil {
				t.Fatal(err)
			}
			for u, w := range tc.want {
				for c := range w {
					if math.Abs(float64(got.Row(u)[c])-w[c]) > 1e-6 {
						t.Errorf("row %d: %v, want %v", u, got.Row(u), w)
						break
					}
				}
			}
		})
	}
	// A lone label has no voter for its own row: all zeros, no NaN.
	got, err := Vote(x, []int{0}, []int32{0}, 2, 5, 0.1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Row(0)[0] != 0 || got.Row(0)[1] != 0 || got.Row(2)[0] != 1 {
		t.Errorf("lone label: rows %v and %v, want [0 0] and [1 0]", got.Row(0), got.Row(2))
	}
}

// norm2of returns the two votes divided by their sum.
func norm2of(a, b float64) []float64 { return []float64{a / (a + b), b / (a + b)} }

func TestVoteErrors(t *testing.T) {
	x := Matrix{N: 2, D: 1, Data: []float32{1, -1}}
	cases := []struct {
		name        string
		x           Matrix
		k           int
		temperature float64
		want        string
	}{
		{"k=0", x, 0, 0.1, "VoteK = 0 must be at least 1"},
		{"zero temperature", x, 2, 0, "vote temperature 0 must be positive"},
		{"NaN temperature", x, 2, math.NaN(), "vote temperature NaN"},
		{"infinite temperature", x, 2, math.Inf(1), "vote temperature +Inf"},
		{"bad matrix", Matrix{N: 2, D: 1, Data: []float32{1}}, 2, 0.1, "but holds 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Vote(tc.x, []int{0, 1}, []int32{0, 1}, 2, tc.k, tc.temperature, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
