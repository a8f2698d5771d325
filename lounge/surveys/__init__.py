"""Satisfaction surveys: a score of 1 to 5 and a comment after each meeting held and each request
closed (:mod:`invitations`), answered in the lounge or by a message's signed link
(:mod:`answers`), read per manager and month by staff, with low scores followed up
(:mod:`results`)."""
