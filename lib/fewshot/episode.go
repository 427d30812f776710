package fewshot

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// EpisodeConfig sets the shape and number of test episodes.
type EpisodeConfig struct {
	// Ways is N, the classes of an episode (5); Shots is K, the support images per class (1 or
	// 5); Queries is Q, the query images per class (15, as is standard).
	Ways, Shots, Queries int
	// Episodes is how many episodes are drawn (the paper: 300).
	Episodes int
	// Seed makes the episodes reproducible: episode i depends on (Seed, i) only.
	Seed int64
}

// DefaultEpisodeConfig returns the paper's protocol at a number of shots: 5-way, 15 queries per
// class, 300 episodes.
func DefaultEpisodeConfig(shots int) EpisodeConfig {
	return EpisodeConfig{Ways: 5, Shots: shots, Queries: 15, Episodes: 300}
}

// Check returns an error naming the fix when the configuration cannot be sampled from s.
func (c EpisodeConfig) Check(s *Split) error {
	if c.Ways < 2 || c.Shots < 1 || c.Queries < 1 || c.Episodes < 1 {
		return fmt.Errorf("fewshot episodes: %d-way %d-shot with %d queries, %d episodes; need at least 2 ways and one shot, query and episode", c.Ways, c.Shots, c.Queries, c.Episodes)
	}
	if c.Ways > s.NumClasses {
		return fmt.Errorf("fewshot episodes: %d ways but only %d test classes; lower Ways", c.Ways, s.NumClasses)
	}
	for cl, rows := range s.Labeled {
		if len(rows) < c.Shots+c.Queries {
			return fmt.Errorf("fewshot episodes: test class %d has %d labeled images, fewer than %d shots + %d queries; lower Queries or give the class more images",
				cl, len(rows), c.Shots, c.Queries)
		}
	}
	return nil
}

// Episode is one N-way K-shot test episode. Episode labels are positions in Classes.
type Episode struct {
	Index int
	// Classes are the N test classes, in [0, Split.NumClasses); episode label j means Classes[j].
	Classes []int
	// Support holds K rows per class, class by class, with their episode labels.
	Support       []int
	SupportLabels []int32
	// Query holds Q rows per class, disjoint from Support, with their episode labels.
	Query       []int
	QueryLabels []int32
	// Unlabeled is the pool: every unlabeled row of every test class (Split.Pool, shared).
	Unlabeled []int
}

// Sample draws episode i of cfg from s: N classes without replacement, then per class K + Q
// distinct labeled rows, the first K the support and the rest the queries.
func Sample(s *Split, cfg EpisodeConfig, i int) (*Episode, error) {
	if err := cfg.Check(s); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i)))
	classes := rng.Perm(s.NumClasses)[:cfg.Ways]
	slices.Sort(classes)
	ep := &Episode{Index: i, Classes: classes, Unlabeled: s.Pool(),
		Support: make([]int, 0, cfg.Ways*cfg.Shots), SupportLabels: make([]int32, 0, cfg.Ways*cfg.Shots),
		Query: make([]int, 0, cfg.Ways*cfg.Queries), QueryLabels: make([]int32, 0, cfg.Ways*cfg.Queries)}
	for j, c := range classes {
		rows := s.Labeled[c]
		for t, p := range rng.Perm(len(rows))[:cfg.Shots+cfg.Queries] {
			if t < cfg.Shots {
				ep.Support, ep.SupportLabels = append(ep.Support, rows[p]), append(ep.SupportLabels, int32(j))
			} else {
				ep.Query, ep.QueryLabels = append(ep.Query, rows[p]), append(ep.QueryLabels, int32(j))
			}
		}
	}
	return ep, nil
}

// Accuracy is the fraction of pred equal to truth (0 for none).
func Accuracy(pred, truth []int32) float64 {
	if len(pred) == 0 {
		return 0
	}
	right := 0
	for i, p := range pred {
		if p == truth[i] {
			right++
		}
	}
	return float64(right) / float64(len(pred))
}
