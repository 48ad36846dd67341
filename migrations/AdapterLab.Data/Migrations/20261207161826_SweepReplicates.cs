using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class SweepReplicates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "sweep_replicates",
                columns: table => new
                {
                    sweep_id = table.Column<Guid>(type: "uuid", nullable: false),
                    trial_index = table.Column<int>(type: "integer", nullable: false),
                    replicate = table.Column<int>(type: "integer", nullable: false),
                    experiment_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seed = table.Column<int>(type: "integer", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sweep_replicates", x => new { x.sweep_id, x.trial_index, x.replicate });
                    table.ForeignKey(
                        name: "fk_sweep_replicates_sweep_trials_sweep_id_trial_index",
                        columns: x => new { x.sweep_id, x.trial_index },
                        principalTable: "sweep_trials",
                        principalColumns: new[] { "sweep_id", "index" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_sweep_replicates_experiment_id",
                table: "sweep_replicates",
                column: "experiment_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sweep_replicates");
        }
    }
}
