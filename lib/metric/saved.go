package metric

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/metric-transfer/mtlp/lib/checkpoint"
	"github.com/metric-transfer/mtlp/lib/data"
	"github.com/metric-transfer/mtlp/lib/fit"
	"github.com/metric-transfer/mtlp/lib/killpoint"
)

// pretrainOrigin is what determines the result of Pretrain, recorded in its checkpoint
// directory (checkpoint.Open): the configuration but its time budget, and the images.
func pretrainOrigin(cfg PretrainConfig, ds *data.Dataset, subset []int) any {
	cfg.Seconds = 0 // a resumed run may be given another budget
	return struct {
		Config PretrainConfig
		Data   fit.Source
	}{cfg, fit.SourceOf(ds, subset)}
}

// saveFinal saves the trained network in dir as its final checkpoint, then InfoFile: a
// directory with both is finished.
func (p *Pretrained) saveFinal(dir *checkpoint.Dir) error {
	if _, err := dir.Save(p.ctx, int(optimizers.GetGlobalStep(p.ctx)), checkpoint.Final); err != nil {
		return fmt.Errorf("pretrain: saving the trained network in %s: %w", dir.Path, err)
	}
	killpoint.Hit("pretrain: final checkpoint saved")
	if err := checkpoint.WriteJSON(filepath.Join(dir.Path, InfoFile), p.Info); err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	killpoint.Hit("pretrain: info written")
	return nil
}

// finished returns the trained network of dir when its newest checkpoint is the final one,
// nil otherwise. If the run that saved it was killed before InfoFile, InfoFile is written now.
func finished(backend backends.Backend, dir *checkpoint.Dir, cfg PretrainConfig, ds *data.Dataset, start time.Time) (*Pretrained, error) {
	c, err := dir.Newest()
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	if c == nil || c.Phase != checkpoint.Final {
		return nil, nil
	}
	info, err := readInfo(dir.Path)
	missing := errors.Is(err, fs.ErrNotExist)
	switch {
	case missing:
		info = infoOf(cfg, ds)
		info.Steps = int(c.Step)
	case err != nil:
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	ctx, err := newContext(info, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	if err := c.Apply(ctx); err != nil {
		return nil, fmt.Errorf("pretrain: %s: %w", c.File, err)
	}
	p := &Pretrained{Info: info, backend: backend, ctx: ctx}
	if missing {
		p.Info.Seconds = time.Since(start).Seconds()
		if err := checkpoint.WriteJSON(filepath.Join(dir.Path, InfoFile), p.Info); err != nil {
			return nil, fmt.Errorf("pretrain: %w", err)
		}
	}
	return p, nil
}

// readInfo reads InfoFile in dir.
func readInfo(dir string) (PretrainInfo, error) {
	var info PretrainInfo
	raw, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return info, fmt.Errorf("%s: %w", filepath.Join(dir, InfoFile), err)
	}
	return info, nil
}

// LoadPretrained reads the network that Pretrain saved in dir (its final checkpoint), or one
// saved by earlier versions in GoMLX's checkpoint format. A directory whose training has not
// finished is an error that says how to finish it.
func LoadPretrained(backend backends.Backend, dir string) (*Pretrained, error) {
	var c *checkpoint.Checkpoint
	if !checkpoint.IsLegacy(dir) {
		var err error
		if c, err = checkpoint.Read(dir, nil); err != nil {
			return nil, err
		}
		if c != nil && c.Phase != checkpoint.Final {
			return nil, fmt.Errorf("checkpoint %s: pretraining has not finished (the newest checkpoint is of step %d, %s); "+
				"rerun the same mt pretrain command to finish it", dir, c.Step, c.Phase)
		}
	}
	info, err := readInfo(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && c != nil:
		return nil, fmt.Errorf("checkpoint %s: the trained network is there but not its %s (the run was stopped as it ended); "+
			"rerun the same mt pretrain command to write it", dir, InfoFile)
	case err != nil:
		return nil, fmt.Errorf("checkpoint %s: %w (was it written by Pretrain with a checkpoint directory?)", dir, err)
	}
	if _, err := featureFn(info); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	ctx, err := newContext(info, 0)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if c == nil {
		err = loadLegacy(ctx, dir)
	} else {
		err = c.Apply(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	return &Pretrained{Info: info, backend: backend, ctx: ctx}, nil
}

// loadLegacy loads a directory in GoMLX's format, or says that there is no checkpoint.
func loadLegacy(ctx *context.Context, dir string) error {
	if !checkpoint.IsLegacy(dir) {
		return errors.New("no checkpoint there: rerun the mt pretrain command that wrote it")
	}
	return checkpoint.LoadLegacy(ctx, dir)
}

// networkScope holds the variables of the network that computes a metric's features, whatever
// the method; the memory bank, the optimiser's state and the global step lie outside it.
const networkScope = "/metric"

// SaveNetwork saves the network that computes the metric's features (the variables under
// /metric, batch-norm statistics included; not the memory bank, the optimiser's state or the
// step) in dir, which must hold no checkpoint, as a final checkpoint with InfoFile: a
// directory LoadPretrained reads, a third of a bank-and-optimiser checkpoint's size or less.
func (p *Pretrained) SaveNetwork(dir string) error {
	ctx := context.New()
	n := 0
	for v := range p.ctx.IterVariables() {
		if v.Scope() != networkScope && !strings.HasPrefix(v.Scope(), networkScope+"/") {
			continue
		}
		t, err := v.Value()
		if err == nil {
			t, err = t.LocalClone()
		}
		if err != nil {
			return fmt.Errorf("saving the network: copying %s: %w", v.ScopeAndName(), err)
		}
		ctx.InAbsPath(v.Scope()).VariableWithValue(v.Name(), t).SetTrainable(v.Trainable)
		n++
	}
	if n == 0 {
		return fmt.Errorf("saving the network: no variable under %s", networkScope)
	}
	if c, err := checkpoint.Read(dir, nil); err != nil || c != nil {
		return fmt.Errorf("saving the network: %s holds a checkpoint already (%v); save into a new folder", dir, err)
	}
	d, err := checkpoint.Open(dir, "network", p.Info)
	if err != nil {
		return fmt.Errorf("saving the network: %w", err)
	}
	defer d.Close()
	if _, err := d.Save(ctx, p.Info.Steps, checkpoint.Final); err != nil {
		return fmt.Errorf("saving the network in %s: %w", dir, err)
	}
	if err := checkpoint.WriteJSON(filepath.Join(dir, InfoFile), p.Info); err != nil {
		return fmt.Errorf("saving the network: %w", err)
	}
	return nil
}
