// Package report draws the paper's figures from the project's results with gonum/plot, and
// renders them to PNG for notebooks and for the files in figures/.
package report
