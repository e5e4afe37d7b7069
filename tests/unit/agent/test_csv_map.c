/* csv_map (with csv_mapping and csv_reader): form rows become events that pass the v1
   checks; labels, topic lists, UK local times; deterministic event ids across re-imports;
   an edited row becomes an amendment of the same conversation; every refusal names the
   row's line, the column at fault and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_map.h"
#include "csv_mapping.h"
#include "csv_reader.h"
#include "event.h"
#include "rfc3339.h"
#include "uuid_text.h"

#define S_ROWS 40

/* The checking clock: 2026-12-01T12:00:00Z, after every row below. */
#define S_NOW                                                                                      \
    (rfc3339_days_from_civil (2026, 12, 1) * RFC3339_US_PER_DAY + 12 * 3600 * RFC3339_US_PER_SEC)

static const char s_google_mapping[] = "; a Google-Forms-style export\n"
                                       "[feed]\n"
                                       "name = test-form\n"
                                       "[columns]\n"
                                       "reported_at = Timestamp\n"
                                       "occurred_on = Date of meeting\n"
                                       "constituency.name = Constituency\n"
                                       "stakeholder.role = Role\n"
                                       "stakeholder.name = Who did you meet?\n"
                                       "stance = How receptive were they?\n"
                                       "topics = Topics discussed\n"
                                       "follow_up = Follow-up needed?\n"
                                       "notes = Notes\n"
                                       "[constants]\n"
                                       "association.id = NHA\n"
                                       "association.name = Northern Homes\n"
                                       "[stance]\n"
                                       "2 = Very receptive\n"
                                       "1 = Receptive\n"
                                       "0 = Neutral\n"
                                       "-1 = Sceptical\n"
                                       "-2 = Hostile\n"
                                       "unknown = Not sure\n"
                                       "[topics]\n"
                                       "damp_and_mould = Damp, mould and condensation\n"
                                       "retrofit = Retrofit\n"
                                       "new_supply = New homes\n"
                                       "planning = Planning\n"
                                       "[role]\n"
                                       "mp = MP\n"
                                       "councillor = Local councillor\n"
                                       "peer = Peer / Lord\n"
                                       "[follow_up]\n"
                                       "true = Yes\n"
                                       "false = No\n"
                                       "[constituency]\n"
                                       "W07000112 = Anglesey\n";

static const char s_google_header[] = "Timestamp,Date of meeting,Constituency,Role,Who did you "
                                      "meet?,How receptive were they?,Topics discussed,Follow-up "
                                      "needed?,Notes\n";

typedef struct {
    uint64_t line;
    bool ok;
    char id[EVENT_ID_LEN + 1];
    bool amended, generated;
    char json[8192];
    char field[REJECT_FIELD_MAX];
    char reason[REJECT_REASON_MAX];
} s_out_t;

typedef struct {
    s_out_t rows[S_ROWS];
    size_t count;
} s_result_t;

static csv_mapping_t *
s_mapping (const char *text)
{
    char err[512];
    csv_mapping_t *m = csv_mapping_parse (text, "test.ini", err, sizeof err);
    if (!m)
        fail_msg ("%s", err);
    return m;
}

/* Maps every data row of csv (len bytes, which may hold NUL bytes) through mapping. */
static void
s_map_n (const char *mapping_text, const char *csv, size_t len, s_result_t *out)
{
    memset (out, 0, sizeof *out);
    csv_mapping_t *m = s_mapping (mapping_text);
    csv_reader_t *r = csv_reader_new (NULL);
    csv_reader_feed (r, csv, len);
    csv_reader_finish (r);
    csv_map_t *map = NULL;
    for (;;) {
        csv_row_t row;
        reject_t why;
        csv_reader_status_t st = csv_reader_next (r, &row, &why);
        if (st == CSV_READER_END)
            break;
        assert_int_not_equal (st, CSV_READER_MORE);
        assert_int_not_equal (st, CSV_READER_BAD);
        if (st == CSV_READER_HEADER) {
            char err[512];
            map = csv_map_new (m, row.fields, row.count, err, sizeof err);
            if (!map)
                fail_msg ("%s", err);
            continue;
        }
        assert_true (out->count < S_ROWS);
        s_out_t *o = &out->rows[out->count++];
        o->line = row.line;
        csv_map_event_t ev;
        o->ok = csv_map_row (map, &row, S_NOW, &ev, &why) == 0;
        if (o->ok) {
            snprintf (o->id, sizeof o->id, "%s", ev.event_id);
            snprintf (o->json, sizeof o->json, "%.*s", (int)ev.len, ev.line);
            o->amended = ev.amended;
            o->generated = ev.generated_id;
            /* What came out is a valid event line, with the id reported. */
            event_t parsed;
            reject_t rule;
            assert_int_equal (event_parse (&parsed, ev.line, ev.len, S_NOW, &rule), 0);
            assert_string_equal (parsed.event_id, ev.event_id);
            event_fini (&parsed);
        } else {
            snprintf (o->field, sizeof o->field, "%s", why.field);
            snprintf (o->reason, sizeof o->reason, "%s", why.reason);
        }
    }
    csv_map_destroy (&map);
    csv_reader_destroy (&r);
    csv_mapping_destroy (&m);
}

/* Maps every data row of csv through mapping. */
static void
s_map (const char *mapping_text, const char *csv, s_result_t *out)
{
    s_map_n (mapping_text, csv, strlen (csv), out);
}

static char *
s_concat (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    char *s = malloc (la + lb + 1);
    memcpy (s, a, la);
    memcpy (s + la, b, lb + 1);
    return s;
}

static json_t *
s_json (const s_out_t *o)
{
    json_error_t e;
    json_t *j = json_loads (o->json, 0, &e);
    assert_non_null (j);
    return j;
}

static void
test_a_google_row_becomes_the_expected_event (void **state)
{
    (void)state;
    char *csv = s_concat (s_google_header,
                          "01/07/2026 10:15:32,30/06/2026,Ynys Môn,MP,Rt Hon Jane Smith "
                          "MP,Very receptive,\"Damp, mould and condensation, Retrofit;Planning, "
                          "Retrofit\",Yes,\"Walked the estate,\nthen tea.\"\n");
    s_result_t r;
    s_map (s_google_mapping, csv, &r);
    assert_int_equal (r.count, 1);
    assert_true (r.rows[0].ok);
    assert_true (r.rows[0].generated);
    assert_false (r.rows[0].amended);
    json_t *j = s_json (&r.rows[0]);
    json_t *want = json_pack (
      "{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s}, s:i, s:[s,s,s], s:b, s:s}",
      "event_id",
      r.rows[0].id,
      "type",
      "conversation.reported",
      "reported_at",
      "2026-07-01T09:15:32.000000Z", /* 10:15:32 BST */
      "occurred_on",
      "2026-06-30",
      "association",
      "id",
      "NHA",
      "name",
      "Northern Homes",
      "constituency",
      "name",
      "Ynys Môn",
      "stakeholder",
      "role",
      "mp",
      "name",
      "Rt Hon Jane Smith MP",
      "stance",
      2,
      "topics",
      "damp_and_mould",
      "retrofit",
      "planning",
      "follow_up",
      1,
      "notes",
      "Walked the estate,\nthen tea.");
    if (!json_equal (j, want))
        fail_msg ("got %s", r.rows[0].json);
    json_decref (j);
    json_decref (want);
    char norm[UUID_TEXT_LEN + 1];
    assert_int_equal (uuid_text_normalise (r.rows[0].id, EVENT_ID_LEN, norm), 0);
    assert_int_equal (r.rows[0].id[14], '5'); /* UUIDv5 */
    free (csv);
}

static void
test_labels_blanks_and_constituency_aliases (void **state)
{
    (void)state;
    char *csv = s_concat (s_google_header,
                          "15/01/2026 09:00:00,14/01/2026,Anglesey,local COUNCILLOR,Cllr Ann "
                          "Lee,Not sure,,No,\n"
                          "15/01/2026 09:05:00,14/01/2026,\"BRIGHTON, KEMPTOWN & PEACEHAVEN\",peer "
                          "- lord,Lord Patel,  hostile ,New homes,,\n");
    s_result_t r;
    s_map (s_google_mapping, csv, &r);
    assert_int_equal (r.count, 2);
    assert_true (r.rows[0].ok);
    json_t *j = s_json (&r.rows[0]);
    assert_string_equal (
      json_string_value (json_object_get (json_object_get (j, "constituency"), "code")),
      "W07000112");
    assert_string_equal (
      json_string_value (json_object_get (json_object_get (j, "stakeholder"), "role")),
      "councillor");
    assert_null (json_object_get (j, "stance")); /* "Not sure" means unknown */
    assert_null (json_object_get (j, "topics"));
    assert_null (json_object_get (j, "notes"));
    assert_true (json_is_false (json_object_get (j, "follow_up")));
    assert_string_equal (json_string_value (json_object_get (j, "reported_at")),
                         "2026-01-15T09:00:00.000000Z"); /* GMT */
    json_decref (j);
    assert_true (r.rows[1].ok);
    j = s_json (&r.rows[1]);
    assert_int_equal (json_integer_value (json_object_get (j, "stance")), -2);
    assert_string_equal (
      json_string_value (json_object_get (json_object_get (j, "stakeholder"), "role")), "peer");
    assert_null (json_object_get (j, "follow_up"));
    json_decref (j);
    free (csv);
}

static void
test_ids_are_the_same_across_re_imports_and_next_weeks_export (void **state)
{
    (void)state;
    static const char row1[] =
      "01/03/2026 10:00:00,27/02/2026,Ynys Môn,MP,Jane Smith,Receptive,Retrofit,Yes,First\n";
    static const char row2[] =
      "02/03/2026 11:00:00,01/03/2026,Aldershot,MP,Ravi Patel,Neutral,Planning,No,Second\n";
    static const char row3[] =
      "09/03/2026 11:00:00,08/03/2026,Aldershot,Local councillor,Sam Jones,Hostile,,No,Third\n";
    char *week1 = s_concat (s_google_header, row1);
    char *tmp = s_concat (week1, row2);
    free (week1);
    week1 = tmp;
    /* Next week: every old row again, in another order, a new one in between, CRLF. */
    char week2[4096];
    snprintf (week2,
              sizeof week2,
              "\xEF\xBB\xBF%.*s\r\n%.*s\r\n%.*s\r\n%.*s\r\n",
              (int)strlen (s_google_header) - 1,
              s_google_header,
              (int)strlen (row2) - 1,
              row2,
              (int)strlen (row3) - 1,
              row3,
              (int)strlen (row1) - 1,
              row1);
    s_result_t a, again, b;
    s_map (s_google_mapping, week1, &a);
    s_map (s_google_mapping, week1, &again);
    s_map (s_google_mapping, week2, &b);
    assert_int_equal (a.count, 2);
    assert_int_equal (b.count, 3);
    for (size_t i = 0; i < 2; i++) {
        assert_true (a.rows[i].ok);
        assert_string_equal (a.rows[i].id, again.rows[i].id);
        assert_string_equal (a.rows[i].json, again.rows[i].json);
    }
    assert_string_equal (a.rows[0].id, b.rows[2].id);
    assert_string_equal (a.rows[0].json, b.rows[2].json); /* same content: a duplicate */
    assert_string_equal (a.rows[1].id, b.rows[0].id);
    assert_string_not_equal (a.rows[0].id, a.rows[1].id);
    assert_string_not_equal (b.rows[1].id, a.rows[0].id);
    assert_string_not_equal (b.rows[1].id, a.rows[1].id);
    /* The feed's name is part of the id: another feed, another id. */
    char *other = strdup (s_google_mapping);
    memcpy (strstr (other, "test-form"), "test-frm2", 9);
    s_result_t c;
    s_map (other, week1, &c);
    assert_string_not_equal (c.rows[0].id, a.rows[0].id);
    free (other);
    free (week1);
}

static const char s_ms_mapping[] = "[feed]\n"
                                   "name = ms-form\n"
                                   "[columns]\n"
                                   "identity = ID\n"
                                   "submitted_at = Completion time\n"
                                   "reported_at = Last modified time\n"
                                   "occurred_on = Date of the conversation\n"
                                   "constituency.name = Constituency\n"
                                   "stakeholder.name = Name of the person you met\n"
                                   "stance = Stance\n"
                                   "[constants]\n"
                                   "association.id = TVH\n"
                                   "stakeholder.role = mp\n"
                                   "[stance]\n"
                                   "2 = Champion\n"
                                   "1 = Supportive\n";

static const char s_ms_header[] = "ID,Start time,Completion time,Email,Name,Last modified "
                                  "time,Date of the conversation,Constituency,Name of the person "
                                  "you met,Stance\n";

static void
test_an_edited_row_becomes_an_amendment_of_the_same_conversation (void **state)
{
    (void)state;
    char *before = s_concat (s_ms_header,
                             "17,3/1/2026 9:58:02,01/03/2026 10:01:40,a@tvh.example,Anonymous,,"
                             "27/02/2026,Aldershot,Jane Smith,Supportive\n"
                             "18,3/1/2026 11:00:00,01/03/2026 11:02:00,b@tvh.example,Anonymous,,"
                             "28/02/2026,Aldershot,Ravi Patel,Supportive\n");
    /* A week later the respondent edited response 17: stance changed, Last modified set. */
    char *after = s_concat (s_ms_header,
                            "17,3/1/2026 9:58:02,01/03/2026 10:01:40,a@tvh.example,Anonymous,"
                            "08/03/2026 16:20:00,27/02/2026,Aldershot,Jane Smith,Champion\n"
                            "18,3/1/2026 11:00:00,01/03/2026 11:02:00,b@tvh.example,Anonymous,,"
                            "28/02/2026,Aldershot,Ravi Patel,Supportive\n");
    s_result_t a, b;
    s_map (s_ms_mapping, before, &a);
    s_map (s_ms_mapping, after, &b);
    assert_true (a.rows[0].ok && b.rows[0].ok && a.rows[1].ok && b.rows[1].ok);
    /* The untouched row: the same event. */
    assert_string_equal (a.rows[1].id, b.rows[1].id);
    assert_string_equal (a.rows[1].json, b.rows[1].json);
    /* The edited row: a new event (a new id, so not a conflict), an amendment, later. */
    assert_false (a.rows[0].amended);
    assert_true (b.rows[0].amended);
    assert_string_not_equal (a.rows[0].id, b.rows[0].id);
    json_t *ja = s_json (&a.rows[0]), *jb = s_json (&b.rows[0]);
    assert_string_equal (json_string_value (json_object_get (ja, "type")), "conversation.reported");
    assert_string_equal (json_string_value (json_object_get (jb, "type")), "conversation.amended");
    assert_string_equal (json_string_value (json_object_get (ja, "reported_at")),
                         "2026-03-01T10:01:40.000000Z");
    assert_string_equal (json_string_value (json_object_get (jb, "reported_at")),
                         "2026-03-08T16:20:00.000000Z");
    assert_int_equal (json_integer_value (json_object_get (jb, "stance")), 2);
    /* Of the same conversation: association, constituency, role, person and day. */
    event_t ea, eb;
    reject_t why;
    assert_int_equal (event_parse (&ea, a.rows[0].json, strlen (a.rows[0].json), S_NOW, &why), 0);
    assert_int_equal (event_parse (&eb, b.rows[0].json, strlen (b.rows[0].json), S_NOW, &why), 0);
    assert_string_equal (ea.association_id, eb.association_id);
    assert_ptr_equal (ea.constituency, eb.constituency);
    assert_int_equal (ea.role, eb.role);
    assert_string_equal (ea.person_key, eb.person_key);
    assert_int_equal (ea.occurred_on, eb.occurred_on);
    assert_true (eb.reported_at_us > ea.reported_at_us);
    event_fini (&ea);
    event_fini (&eb);
    /* The edited export imported again: the same amendment, the same id. */
    s_result_t b2;
    s_map (s_ms_mapping, after, &b2);
    assert_string_equal (b.rows[0].id, b2.rows[0].id);
    /* The id comes from the response id, not the content: another name, same version,
       same id (the collector then refuses it as a conflict rather than counting it twice). */
    char *renamed = strdup (before);
    memcpy (strstr (renamed, "Jane Smith"), "Jane Smyth", 10);
    s_result_t c;
    s_map (s_ms_mapping, renamed, &c);
    assert_string_equal (c.rows[0].id, a.rows[0].id);
    json_decref (ja);
    json_decref (jb);
    free (renamed);
    free (before);
    free (after);
}

typedef struct {
    const char *row;   /* after the Google header */
    const char *field; /* the column named */
    const char *reason;
} s_refusal_t;

static void
test_each_refusal_names_the_line_the_column_and_why (void **state)
{
    (void)state;
    static const s_refusal_t cases[] = {
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,Quite keen,,,\n",
          "How receptive were they?",
          "stance: \"Quite keen\" is not a label of [stance] in the mapping (Very receptive, "
          "Receptive, Neutral, Sceptical, Hostile, Not sure)" },
        { "31/02/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,,\n",
          "Timestamp",
          "reported_at: \"31/02/2026 10:00:00\" is not a calendar date" },
        { "next tuesday,27/02/2026,Aldershot,MP,Jane Smith,,,,\n",
          "Timestamp",
          "reported_at: \"next tuesday\" is not a date and time such as 01/03/2026 10:15:00 or "
          "2026-03-01T10:15:00" },
        { ",27/02/2026,Aldershot,MP,Jane Smith,,,,\n", "Timestamp", "reported_at: is empty" },
        { "01/03/2026 10:00:00,,Aldershot,MP,Jane Smith,,,,\n",
          "Date of meeting",
          "occurred_on: is empty" },
        { "01/03/2026 10:00:00,30/11/2026,Aldershot,MP,Jane Smith,,,,\n",
          "Date of meeting",
          "occurred_on: 2026-11-30 is more than one day after reported_at (2026-03-01 UTC)" },
        { "01/03/2026 10:00:00,27/02/2026,Brighton Kemptwn,MP,Jane Smith,,,,\n",
          "Constituency",
          "constituency.name: \"Brighton Kemptwn\" is not the name of a 2024 Westminster "
          "constituency (did you mean \"Brighton Kemptown and Peacehaven\"?)" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,Mayor,Jane Smith,,,,\n",
          "Role",
          "stakeholder.role: \"Mayor\" is not a label of [role] in the mapping (MP, Local "
          "councillor, Peer / Lord)" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,,,,,\n",
          "Who did you meet?",
          "stakeholder.name: is empty" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Rt Hon MP,,,,\n",
          "Who did you meet?",
          "stakeholder.name: \"Rt Hon MP\" has an empty person key (nothing is left once titles "
          "such as mr, cllr or mp are removed)" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,Retrofit; Rent arrears,,\n",
          "Topics discussed",
          "topics: \"Rent arrears\" is not a label of [topics] in the mapping (Damp, mould and "
          "condensation, Retrofit, New homes, Planning)" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,Maybe,\n",
          "Follow-up needed?",
          "follow_up: \"Maybe\" is not yes or no (labels of [follow_up]: Yes, No)" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,,Caf\xE9\n",
          "Notes",
          "notes: is not valid UTF-8 text (byte 0xE9 at offset 3): export the file as \"CSV "
          "UTF-8\"" },
        { "01/03/2027 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,,\n",
          "Timestamp",
          "reported_at: 2027-03-01T10:00:00.000000Z is more than one day ahead of this checker's "
          "clock (2026-12-01T12:00:00.000000Z)" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP\n",
          "",
          "row has 4 fields, the header has 9 (a line break in a field that is not quoted?)" },
        { "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,,,surplus\n",
          "",
          "row has 10 fields, the header has 9" },
    };
    size_t n = sizeof cases / sizeof cases[0];
    /* All in one export, between good rows, so the good ones must still go through. */
    static const char good[] = "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,,\n";
    char *csv = s_concat (s_google_header, good);
    for (size_t i = 0; i < n; i++) {
        char *a = s_concat (csv, cases[i].row);
        free (csv);
        csv = s_concat (a, good);
        free (a);
    }
    s_result_t r;
    s_map (s_google_mapping, csv, &r);
    assert_int_equal (r.count, 2 * n + 1);
    for (size_t i = 0; i < r.count; i++) {
        assert_int_equal (r.rows[i].line, i + 2);
        if (i % 2 == 0) {
            if (!r.rows[i].ok)
                fail_msg ("good row %zu refused: %s: %s", i, r.rows[i].field, r.rows[i].reason);
            continue;
        }
        const s_refusal_t *c = &cases[i / 2];
        if (r.rows[i].ok)
            fail_msg ("accepted: %s", c->row);
        if (strcmp (r.rows[i].field, c->field) != 0 || strcmp (r.rows[i].reason, c->reason) != 0)
            fail_msg ("row %s\n got  [%s] %s\n want [%s] %s",
                      c->row,
                      r.rows[i].field,
                      r.rows[i].reason,
                      c->field,
                      c->reason);
    }
    free (csv);
}

static void
test_a_nul_byte_in_a_cell_is_refused_as_such_naming_the_column (void **state)
{
    (void)state;
    static const char row[] = "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane\0Smith,,,,\n"
                              "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,,x\0\n";
    size_t hl = strlen (s_google_header), rl = sizeof row - 1;
    char *csv = malloc (hl + rl);
    memcpy (csv, s_google_header, hl);
    memcpy (csv + hl, row, rl);
    s_result_t r;
    s_map_n (s_google_mapping, csv, hl + rl, &r);
    free (csv);
    assert_int_equal (r.count, 2);
    assert_false (r.rows[0].ok);
    assert_string_equal (r.rows[0].field, "Who did you meet?");
    assert_string_equal (r.rows[0].reason,
                         "stakeholder.name: has a NUL byte (at offset 4), which is not allowed");
    assert_false (r.rows[1].ok);
    assert_string_equal (r.rows[1].field, "Notes");
    assert_string_equal (r.rows[1].reason,
                         "notes: has a NUL byte (at offset 1), which is not allowed");
}

static void
test_unknown_topics_can_be_ignored_and_notes_too_long_are_refused (void **state)
{
    (void)state;
    char *mapping = s_concat (s_google_mapping, "");
    char *p = strstr (mapping, "name = test-form\n");
    size_t at = (size_t)(p - mapping) + strlen ("name = test-form\n");
    char with[4096];
    snprintf (with, sizeof with, "%.*sunknown_topics = ignore\n%s", (int)at, mapping, mapping + at);
    static char csv[16384];
    char notes[4100];
    memset (notes, 'n', 4001);
    notes[4001] = '\0';
    snprintf (csv,
              sizeof csv,
              "%s01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,Rent; Retrofit,,\n"
              "01/03/2026 10:00:00,27/02/2026,Aldershot,MP,Jane Smith,,,,%s\n",
              s_google_header,
              notes);
    s_result_t r;
    s_map (with, csv, &r);
    assert_true (r.rows[0].ok);
    json_t *j = s_json (&r.rows[0]);
    assert_int_equal (json_array_size (json_object_get (j, "topics")), 1);
    json_decref (j);
    assert_false (r.rows[1].ok);
    assert_string_equal (r.rows[1].field, "Notes");
    assert_string_equal (r.rows[1].reason, "notes: is 4001 bytes long (at most 4000)");
    free (mapping);
}

static void
test_an_event_id_column_is_used_as_it_is (void **state)
{
    (void)state;
    static const char mapping[] = "[feed]\nname = crm\n[columns]\nevent_id = Record ID\n"
                                  "reported_at = Saved\noccurred_on = Met on\n"
                                  "constituency.code = GSS\nstakeholder.name = Who\n"
                                  "[constants]\nassociation.id = NHA\nstakeholder.role = mp\n";
    static const char csv[] = "Record ID,Saved,Met on,GSS,Who\n"
                              "6F1C2B4E-9A3D-4E5F-8B7C-1D2E3F4A5B6C,2026-03-01T10:15:00+01:00,"
                              "2026-02-27,W07000112,Jane Smith\n"
                              ",2026-03-01T10:15:00Z,2026-02-27,w07000112,Jane Smith\n"
                              "not-a-uuid,2026-03-01T10:15:00Z,2026-02-27,W07000112,Jane Smith\n";
    s_result_t r;
    s_map (mapping, csv, &r);
    assert_true (r.rows[0].ok);
    assert_false (r.rows[0].generated);
    assert_string_equal (r.rows[0].id, "6f1c2b4e-9a3d-4e5f-8b7c-1d2e3f4a5b6c");
    assert_true (r.rows[1].ok);
    assert_true (r.rows[1].generated); /* blank: made from the row */
    assert_false (r.rows[2].ok);
    assert_string_equal (r.rows[2].field, "Record ID");
    assert_string_equal (r.rows[2].reason,
                         "event_id: \"not-a-uuid\" is not a UUID (8-4-4-4-12 hexadecimal digits)");
}

static void
test_header_must_hold_every_mapped_column (void **state)
{
    (void)state;
    csv_mapping_t *m = s_mapping (s_google_mapping);
    char err[512];
    const char *h1[] = {
        "Timestamp", "Date of meeting", "Constituency", "Role", "Who did you meet?"
    };
    assert_null (csv_map_new (m, h1, 5, err, sizeof err));
    assert_string_equal (err,
                         "column \"How receptive were they?\" (for stance) is not in the header");
    /* Folded names match: case, punctuation and spacing. */
    const char *h2[] = { "TIMESTAMP",
                         "date of  meeting",
                         "Constituency:",
                         "Role",
                         "Who did you meet",
                         "How receptive were they?",
                         "Topics discussed",
                         "Follow up needed",
                         "Notes" };
    csv_map_t *map = csv_map_new (m, h2, 9, err, sizeof err);
    if (!map)
        fail_msg ("%s", err);
    csv_map_destroy (&map);
    const char *h3[] = { "Timestamp",
                         "timestamp",
                         "Date of meeting",
                         "Constituency",
                         "Role",
                         "Who did you meet?",
                         "How receptive were they?",
                         "Topics discussed",
                         "Follow-up needed?",
                         "Notes" };
    map = csv_map_new (m, h3, 10, err, sizeof err); /* one is exact */
    assert_non_null (map);
    csv_map_destroy (&map);
    const char *h4[] = { "TIMESTAMP",
                         "timestamp",
                         "Date of meeting",
                         "Constituency",
                         "Role",
                         "Who did you meet?",
                         "How receptive were they?",
                         "Topics discussed",
                         "Follow-up needed?",
                         "Notes" };
    assert_null (csv_map_new (m, h4, 10, err, sizeof err));
    assert_string_equal (err,
                         "column \"Timestamp\" (for reported_at) matches header columns 1 and 2: "
                         "name it exactly");
    csv_mapping_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_google_row_becomes_the_expected_event),
        cmocka_unit_test (test_labels_blanks_and_constituency_aliases),
        cmocka_unit_test (test_ids_are_the_same_across_re_imports_and_next_weeks_export),
        cmocka_unit_test (test_an_edited_row_becomes_an_amendment_of_the_same_conversation),
        cmocka_unit_test (test_each_refusal_names_the_line_the_column_and_why),
        cmocka_unit_test (test_a_nul_byte_in_a_cell_is_refused_as_such_naming_the_column),
        cmocka_unit_test (test_unknown_topics_can_be_ignored_and_notes_too_long_are_refused),
        cmocka_unit_test (test_an_event_id_column_is_used_as_it_is),
        cmocka_unit_test (test_header_must_hold_every_mapped_column),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
