using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class ComparisonsAndConfigurations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "at_floor",
                table: "leaderboard_entries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<double>(
                name: "floor",
                table: "leaderboard_entries",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "floor_name",
                table: "leaderboard_entries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "identical_seeds",
                table: "leaderboard_entries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "interval_method",
                table: "leaderboard_entries",
                type: "character varying(24)",
                maxLength: 24,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "lower",
                table: "leaderboard_entries",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "upper",
                table: "leaderboard_entries",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "configuration_version",
                table: "experiments",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_board_lower",
                table: "leaderboard_entries",
                columns: new[] { "board", "lower" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_board_upper",
                table: "leaderboard_entries",
                columns: new[] { "board", "upper" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_board_lower",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_board_upper",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "at_floor",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "floor",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "floor_name",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "identical_seeds",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "interval_method",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "lower",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "upper",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "configuration_version",
                table: "experiments");
        }
    }
}
