from django.db import migrations


class Migration(migrations.Migration):
    """The units app owns the CORSIA eligibility list now (same table): forget it here, keep the rows."""

    dependencies = [("disclosure", "0001_initial"), ("units", "0004_corsiaeligibility")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="CorsiaEligibility")], database_operations=[])
    ]
