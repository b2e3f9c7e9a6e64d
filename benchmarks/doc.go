// Package benchmarks measures fgakit side by side with the libraries a user
// would otherwise pick. It is a separate module, so those peers never become
// dependencies of fgakit. BENCHMARKS.md at the repository root has the
// commands, the machine and the numbers.
package benchmarks
