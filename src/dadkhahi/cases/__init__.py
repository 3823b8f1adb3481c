"""Cases for court: frameworks of elements, charges, the evidence matrix, bundles."""
