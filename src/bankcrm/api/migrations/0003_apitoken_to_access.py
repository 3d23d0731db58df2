"""API tokens now belong to the access app (access.0001): removed from this app's state only,
the table and its rows are left where they are. Their content type (and so their permissions)
follows them."""

from django.db import migrations


def _move_content_type(apps, schema_editor, *, source, target):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label=target, model='apitoken').exists():
        return
    ContentType.objects.using(db).filter(app_label=source, model='apitoken').update(
        app_label=target
    )


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source='api', target='access')


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source='access', target='api')


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_initial'),
        ('access', '0001_apitoken_from_api'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ApiToken')],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
