"""The wizard's widgets: a question, a rung's progress row, the results table and the opinion."""
