package kernel

// Must panics with err when it is not nil. A notebook cell calls it after each call that can
// fail: the panic stops the cell there, GoNB shows err's message and the line under the cell,
// and nbrun counts the cell as failed. It is for cells only; library code returns its errors.
func Must(err error) {
	if err != nil {
		panic(err)
	}
}
