package featio

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Labels are the rows of a labels CSV: Index[t] is a feature row whose class is Class[t];
// Line[t] is the CSV line it came from, for error messages.
type Labels struct {
	Index []int
	Class []int32
	Line  []int
}

// Len returns the number of labels.
func (l Labels) Len() int { return len(l.Index) }

// maxClass bounds a class id, so a typo cannot make a caller allocate a huge class table.
const maxClass = 1 << 20

// ReadLabelsCSV reads a CSV with the header "index,label" and one row per labelled example:
// a non-negative feature row index and a non-negative integer class. A missing or different
// header, a row with another number of fields, a field that is not an integer, or the same
// index twice return an error naming the line. An empty file or one with no rows is an error
// too: propagation needs labels.
func ReadLabelsCSV(r io.Reader) (Labels, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return Labels{}, fmt.Errorf("empty file; want the header \"index,label\" and one row per labelled example")
	}
	if err != nil {
		return Labels{}, err
	}
	if len(header) != 2 || strings.TrimSpace(strings.TrimPrefix(header[0], "\ufeff")) != "index" || strings.TrimSpace(header[1]) != "label" {
		return Labels{}, fmt.Errorf("line 1: header is %q; want \"index,label\"", strings.Join(header, ","))
	}
	var l Labels
	seen := map[int]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Labels{}, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return Labels{}, fmt.Errorf("line %d: %d fields; want 2 (index,label)", line, len(rec))
		}
		idx, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || idx < 0 {
			return Labels{}, fmt.Errorf("line %d: index %q is not a non-negative integer", line, rec[0])
		}
		class, err := strconv.Atoi(strings.TrimSpace(rec[1]))
		if err != nil || class < 0 || class >= maxClass {
			return Labels{}, fmt.Errorf("line %d: label %q is not an integer class in [0, %d)", line, rec[1], maxClass)
		}
		if prev, ok := seen[idx]; ok {
			return Labels{}, fmt.Errorf("line %d: index %d is labelled twice (also on line %d); keep one", line, idx, prev)
		}
		seen[idx] = line
		l.Index = append(l.Index, idx)
		l.Class = append(l.Class, int32(class))
		l.Line = append(l.Line, line)
	}
	if l.Len() == 0 {
		return Labels{}, fmt.Errorf("no label rows after the header; give at least one label per class")
	}
	return l, nil
}

// ReadLabelsCSVFile reads path with ReadLabelsCSV; errors name the file.
func ReadLabelsCSVFile(path string) (Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return Labels{}, err
	}
	defer f.Close()
	l, err := ReadLabelsCSV(f)
	if err != nil {
		return Labels{}, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// Check validates l against n feature rows and numClasses classes (0 means max label + 1) and
// returns the number of classes. Errors name the CSV line: an index outside [0, n), a label
// outside [0, numClasses); or the class that has no label at all.
func (l Labels) Check(n, numClasses int) (int, error) {
	if numClasses > maxClass {
		return 0, fmt.Errorf("%d classes is more than the %d supported", numClasses, maxClass)
	}
	if numClasses <= 0 {
		for _, c := range l.Class {
			numClasses = max(numClasses, int(c)+1)
		}
	}
	count := make([]int, numClasses)
	for t, i := range l.Index {
		if i >= n {
			return 0, fmt.Errorf("line %d: index %d is out of range; the features have %d rows (0 to %d)", l.Line[t], i, n, n-1)
		}
		c := int(l.Class[t])
		if c >= numClasses {
			return 0, fmt.Errorf("line %d: label %d is out of range for %d classes (0 to %d)", l.Line[t], c, numClasses, numClasses-1)
		}
		count[c]++
	}
	for c, k := range count {
		if k == 0 {
			return 0, fmt.Errorf("class %d has no labelled row; every class in [0, %d) needs at least one (or set the number of classes)", c, numClasses)
		}
	}
	if numClasses < 2 {
		return 0, fmt.Errorf("only %d class; propagation needs at least two", numClasses)
	}
	return numClasses, nil
}

// WriteLabelsCSV writes index,label rows under the header "index,label".
func WriteLabelsCSV(w io.Writer, l Labels) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("index,label\n")
	for t, i := range l.Index {
		fmt.Fprintf(bw, "%d,%d\n", i, l.Class[t])
	}
	return bw.Flush()
}

// WritePredictionsCSV writes one row per example, index,label,confidence, under that header.
func WritePredictionsCSV(w io.Writer, labels []int32, confidence []float32) error {
	if len(labels) != len(confidence) {
		return fmt.Errorf("featio: %d labels but %d confidences", len(labels), len(confidence))
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("index,label,confidence\n")
	var buf []byte
	for i, y := range labels {
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(y), 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, float64(confidence[i]), 'g', -1, 32)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}
