package repro

// Released metrics (package release) that the CPU scales transfer when the repository holds
// them (release.Find): their features replace the pretraining of a small network here, as the
// paper transfers a metric learned elsewhere.
const (
	// CIFAR10Release is instance discrimination on WRN-28-2 with the authors' schedule (1270
	// epochs), which Tables 1 and 2 and Figures 2, 3 and 5 use at the bench scale.
	CIFAR10Release = "instance-wrn-28-2"
)
