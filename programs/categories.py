"""Reference data loaded by a data migration (and re-loaded for tests that flush tables)."""

# Categories of citizens eligible for training under the "active employment measures" rules
# (decree 291); admins may rename or add.
CATEGORIES = [
    ("risk_of_dismissal", "Работники, находящиеся под риском увольнения"),
    ("age_50_plus", "Граждане в возрасте 50 лет и старше"),
    ("pre_retirement", "Граждане предпенсионного возраста"),
    ("parental_leave", "Женщины, находящиеся в отпуске по уходу за ребёнком до достижения им возраста трёх лет"),
    ("mothers_preschool", "Женщины, не состоящие в трудовых отношениях и имеющие детей дошкольного возраста"),
    ("unemployed", "Безработные граждане, зарегистрированные в органах службы занятости"),
    ("job_seekers", "Граждане, ищущие работу и обратившиеся в органы службы занятости"),
    ("youth", "Молодёжь в возрасте до 35 лет"),
    ("svo_participants", "Участники специальной военной операции и члены их семей"),
    ("disabled", "Граждане с инвалидностью"),
    ("industry_workers", "Работники предприятий промышленности"),
]
