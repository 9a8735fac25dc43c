"""The dashboard's pages: Explore, Compare, Train and Sweep results, one module each."""
