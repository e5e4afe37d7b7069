/* csv_mapping: a mapping file is checked whole when loaded, and each mistake is one message
   naming the file and the line (or the setting) at fault. The shipped examples load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "csv_mapping.h"

static const char s_base[] = "[feed]\nname = f\n[columns]\nreported_at = T\noccurred_on = D\n"
                             "stakeholder.name = W\nconstituency.name = C\n"
                             "[constants]\nassociation.id = NHA\nstakeholder.role = mp\n";

static void
s_refused (const char *extra, const char *want)
{
    char text[4096], err[512];
    snprintf (text, sizeof text, "%s%s", s_base, extra);
    csv_mapping_t *m = csv_mapping_parse (text, "m.ini", err, sizeof err);
    if (m)
        fail_msg ("accepted: %s", extra);
    if (strcmp (err, want) != 0)
        fail_msg ("for %s\n got  %s\n want %s", extra, err, want);
}

static void
test_the_base_mapping_loads_with_its_defaults (void **state)
{
    (void)state;
    char err[512];
    csv_mapping_t *m = csv_mapping_parse (s_base, "m.ini", err, sizeof err);
    if (!m)
        fail_msg ("%s", err);
    assert_string_equal (csv_mapping_feed_name (m), "f");
    assert_string_equal (tzone_name (csv_mapping_zone (m)), "Europe/London");
    assert_int_equal (csv_mapping_date_order (m), CSV_TIME_DMY);
    assert_int_equal (csv_mapping_unknown_topics (m), CSV_UNKNOWN_REJECT);
    const char *text;
    assert_int_equal (csv_mapping_source (m, CSV_FIELD_REPORTED_AT, &text), CSV_SOURCE_COLUMN);
    assert_string_equal (text, "T");
    assert_int_equal (csv_mapping_source (m, CSV_FIELD_ROLE, &text), CSV_SOURCE_CONSTANT);
    assert_string_equal (text, "mp");
    assert_int_equal (csv_mapping_source (m, CSV_FIELD_NOTES, NULL), CSV_SOURCE_NONE);
    assert_false (csv_mapping_has_labels (m, CSV_LABELS_STANCE));
    csv_mapping_destroy (&m);
    assert_null (m);
}

static void
test_labels_are_compared_folded_and_may_repeat_a_value (void **state)
{
    (void)state;
    char text[2048], err[512];
    snprintf (text,
              sizeof text,
              "%s[stance]\n2 = Very receptive\n2 = Champion!\nunknown = Not sure\n"
              "[role]\npeer = Peer / Lord\n[follow_up]\ntrue = Yes\n# a comment\nfalse = No\n"
              "[constituency]\nw07000112 = Anglesey ; inline comments after a blank\n",
              s_base);
    csv_mapping_t *m = csv_mapping_parse (text, "m.ini", err, sizeof err);
    if (!m)
        fail_msg ("%s", err);
    assert_string_equal (csv_mapping_label (m, CSV_LABELS_STANCE, "VERY  receptive"), "2");
    assert_string_equal (csv_mapping_label (m, CSV_LABELS_STANCE, "champion"), "2");
    assert_string_equal (csv_mapping_label (m, CSV_LABELS_STANCE, "Not sure"), "");
    assert_null (csv_mapping_label (m, CSV_LABELS_STANCE, "Keen"));
    assert_string_equal (csv_mapping_label (m, CSV_LABELS_ROLE, "peer - lord"), "peer");
    assert_string_equal (csv_mapping_label (m, CSV_LABELS_CONSTITUENCY, "anglesey"), "W07000112");
    assert_string_equal (csv_mapping_label_list (m, CSV_LABELS_STANCE),
                         "Very receptive, Champion!, Not sure");
    csv_mapping_destroy (&m);
}

static void
test_each_mistake_names_the_line_or_setting (void **state)
{
    (void)state;
    /* s_base has 10 lines: extra text starts on line 11. */
    s_refused ("[stance]\nvery = Very receptive\n",
               "m.ini line 12: [stance] \"very\" is not a stance (-2, -1, 0, 1, 2 or unknown)");
    s_refused ("[stance]\n3 = Ecstatic\n",
               "m.ini line 12: [stance] \"3\" is not a stance (-2, -1, 0, 1, 2 or unknown)");
    s_refused ("[stance]\n2 = Yes\n1 = yes\n",
               "m.ini line 13: [stance] label \"yes\" is given for both 2 and 1");
    s_refused ("[role]\nmember = MP\n",
               "m.ini line 12: [role] \"member\" is not a stakeholder role (mp, councillor, peer, "
               "mayor, official or opinion_former)");
    s_refused (
      "[format]\nvisit = Site visit\n",
      "m.ini line 12: [format] \"visit\" is not a format (meeting, site_visit, call, event "
      "or correspondence)");
    s_refused ("[follow_up]\nyes = Yes\n",
               "m.ini line 12: [follow_up] \"yes\" must be true or false");
    s_refused ("[constituency]\nE99999999 = Atlantis\n",
               "m.ini line 12: [constituency] \"E99999999\" is not a 2024 Westminster constituency "
               "code");
    s_refused ("[topics]\nDamp = Damp\n",
               "m.ini: [topics] \"Damp\" is not a topic name (1 to 40 of a-z, 0-9 and _, starting "
               "with a letter or digit)");
    s_refused ("[topics]\ndamp = ...\n",
               "m.ini line 12: [topics] label \"...\" has no letters or digits");
    s_refused ("[colours]\nx = y\n",
               "m.ini line 12: [colours] is not a section of a mapping (feed, columns, constants, "
               "stance, topics, role, format, follow_up or constituency)");
    s_refused ("[columns]\nstance_text = S\n",
               "m.ini line 12: \"stance_text\" is not an event field (event_id, reported_at, "
               "submitted_at, occurred_on, association.id, association.name, constituency.code, "
               "constituency.name, stakeholder.role, stakeholder.name, stakeholder.party, format, "
               "stance, topics, follow_up, notes or identity)");
    s_refused ("[columns]\nreported_at = Other\n",
               "m.ini line 12: reported_at is given twice (in [columns])");
    s_refused ("[columns]\nassociation.id = Assoc\n",
               "m.ini line 12: association.id is given twice (in [columns] and in the other of "
               "[columns] and [constants])");
    s_refused (
      "[constants]\nstance = 2\n",
      "m.ini line 12: stance cannot be a constant (only association.id, association.name, "
      "constituency.code, constituency.name, stakeholder.role, stakeholder.party and format "
      "can)");
    s_refused ("[feed]\ndates = ymd\n",
               "m.ini line 12: [feed] dates must be dmy or mdy (got \"ymd\")");
    s_refused ("[feed]\nname = g\n", "m.ini line 12: [feed] name is given twice");
    s_refused ("[feed]\nzone = Europe/Atlantis\n",
               "m.ini: [feed] zone: could not open time zone file "
               "\"/usr/share/zoneinfo/Europe/Atlantis\": No such file or directory");
    s_refused ("just words\n",
               "m.ini line 11: is not a [section], a \"name = value\" line or a comment");
    s_refused ("[constants]\nassociation.name = \xff\n", "m.ini line 12: is not valid UTF-8");
    char longline[400];
    memset (longline, 'x', sizeof longline);
    memcpy (longline, "[topics]\nx = ", 13);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    s_refused (longline, "m.ini line 12: is longer than 197 bytes");
}

static void
test_missing_required_settings_and_bad_constants (void **state)
{
    (void)state;
    char err[512];
    static const struct {
        const char *text, *want;
    } cases[] = {
        { "[columns]\nreported_at = T\n",
          "m.ini: [feed] name is missing (it is part of every event id the feed's rows get)" },
        { "[feed]\nname = f\n[columns]\noccurred_on = D\n",
          "m.ini: [columns] reported_at is missing" },
        { "[feed]\nname = f\n[columns]\nreported_at = T\noccurred_on = D\nstakeholder.name = W\n"
          "constituency.name = C\n[constants]\nstakeholder.role = mp\n",
          "m.ini: association.id is missing (a column or a constant)" },
        { "[feed]\nname = f\n[columns]\nreported_at = T\noccurred_on = D\nstakeholder.name = W\n"
          "[constants]\nassociation.id = NHA\nstakeholder.role = mp\n",
          "m.ini: constituency.code or constituency.name is missing (a column or a constant)" },
        { "[feed]\nname = f\n[columns]\nreported_at = T\noccurred_on = D\nstakeholder.name = W\n"
          "constituency.name = C\n[constants]\nassociation.id = ha 42\nstakeholder.role = mp\n",
          "m.ini: [constants] association.id: \"ha 42\" is not an association id (1 to 32 letters, "
          "digits, '.', '_' or '-', starting with a letter or digit)" },
        { "[feed]\nname = f\n[columns]\nreported_at = T\noccurred_on = D\nstakeholder.name = W\n"
          "constituency.name = C\n[constants]\nassociation.id = NHA\nstakeholder.role = MP\n",
          "m.ini: [constants] stakeholder.role: \"MP\" is not a stakeholder role (mp, councillor, "
          "peer, mayor, official or opinion_former)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        csv_mapping_t *m = csv_mapping_parse (cases[i].text, "m.ini", err, sizeof err);
        if (m)
            fail_msg ("accepted case %zu", i);
        if (strcmp (err, cases[i].want) != 0)
            fail_msg ("case %zu\n got  %s\n want %s", i, err, cases[i].want);
    }
    assert_null (csv_mapping_load ("/nonexistent/m.ini", err, sizeof err));
    assert_string_equal (
      err, "could not open mapping file \"/nonexistent/m.ini\": No such file or directory");
}

static void
test_the_shipped_example_mappings_load (void **state)
{
    (void)state;
    static const char *files[] = { PARLEY_SOURCE_DIR "/examples/forms/google-engagement-log.ini",
                                   PARLEY_SOURCE_DIR
                                   "/examples/forms/msforms-member-meetings.ini" };
    for (size_t i = 0; i < 2; i++) {
        char err[512];
        csv_mapping_t *m = csv_mapping_load (files[i], err, sizeof err);
        if (!m)
            fail_msg ("%s", err);
        csv_mapping_destroy (&m);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_base_mapping_loads_with_its_defaults),
        cmocka_unit_test (test_labels_are_compared_folded_and_may_repeat_a_value),
        cmocka_unit_test (test_each_mistake_names_the_line_or_setting),
        cmocka_unit_test (test_missing_required_settings_and_bad_constants),
        cmocka_unit_test (test_the_shipped_example_mappings_load),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
