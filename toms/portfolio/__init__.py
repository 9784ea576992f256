"""Portfolio construction: turning a PM's target weights into orders. Pure, no I/O."""
