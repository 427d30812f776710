package propagate

// clustered is Clustered, under the name the tests use.
func clustered(n, d, classes int, noise float64, seed uint64) (Matrix, []int32) {
	return Clustered(n, d, classes, noise, seed)
}

// firstPerClass returns the first per rows of each class, in row order.
func firstPerClass(truth []int32, classes, per int) ([]int, []int32) {
	count := make([]int, classes)
	var idx []int
	var lab []int32
	for i, c := range truth {
		if count[c] < per {
			count[c]++
			idx = append(idx, i)
			lab = append(lab, c)
		}
	}
	return idx, lab
}
