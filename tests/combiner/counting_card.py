"""Combine's "simple counting experiment" card (its data/tutorials/counting/simple-counting-experiment.txt),
shared by the combiner's tests of combination files."""

CARD = """imax 1
jmax 1
kmax 2
------------
bin         bin1
observation 0
------------
bin           bin1   bin1
process       ggh4G  Bckg
process         0      1
rate           4.76  1.47
------------
deltaS  lnN    1.20    -
deltaB  lnN      -   1.50
"""
