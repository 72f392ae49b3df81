"""The wizard's screens: start, interview, live run, results, and the save dialog."""
