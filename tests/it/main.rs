mod lang_cases;
