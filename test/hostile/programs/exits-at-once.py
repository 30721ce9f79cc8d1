# Exits at once, successfully, without doing anything.
