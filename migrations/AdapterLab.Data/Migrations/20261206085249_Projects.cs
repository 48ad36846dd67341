using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class Projects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_leaderboard_pins",
                table: "leaderboard_pins");

            migrationBuilder.DropPrimaryKey(
                name: "pk_leaderboard_entries",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_board_lower",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_board_mean",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_board_upper",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_configuration_hash",
                table: "leaderboard_entries");

            migrationBuilder.DropPrimaryKey(
                name: "pk_leaderboard_boards",
                table: "leaderboard_boards");

            migrationBuilder.DropIndex(
                name: "ix_experiments_queue",
                table: "experiments");

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "sweeps",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "suites",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "registered_models",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "leaderboard_pins",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "leaderboard_entries",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "leaderboard_boards",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "experiments",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "backbones",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000001"));

            migrationBuilder.AddColumn<Guid>(
                name: "project_id",
                table: "api_keys",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "current_project_id",
                table: "AspNetUsers",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddPrimaryKey(
                name: "pk_leaderboard_pins",
                table: "leaderboard_pins",
                columns: new[] { "project_id", "board" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_leaderboard_entries",
                table: "leaderboard_entries",
                columns: new[] { "project_id", "board", "configuration_hash" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_leaderboard_boards",
                table: "leaderboard_boards",
                columns: new[] { "project_id", "board" });

            migrationBuilder.CreateTable(
                name: "project_audit",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    project_id = table.Column<Guid>(type: "uuid", nullable: false),
                    action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    subject = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    detail = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    actor = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_project_audit", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "projects",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    description = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    priority_ceiling = table.Column<int>(type: "integer", nullable: true),
                    created_by = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_projects", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "backbone_shares",
                columns: table => new
                {
                    backbone_name = table.Column<string>(type: "text", nullable: false),
                    project_id = table.Column<Guid>(type: "uuid", nullable: false),
                    shared_by = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    shared_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_backbone_shares", x => new { x.backbone_name, x.project_id });
                    table.ForeignKey(
                        name: "fk_backbone_shares_backbones_backbone_name",
                        column: x => x.backbone_name,
                        principalTable: "backbones",
                        principalColumn: "name",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_backbone_shares_projects_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "project_members",
                columns: table => new
                {
                    project_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<string>(type: "text", nullable: false),
                    role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    added_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_project_members", x => new { x.project_id, x.user_id });
                    table.ForeignKey(
                        name: "fk_project_members_asp_net_users_user_id",
                        column: x => x.user_id,
                        principalTable: "AspNetUsers",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_project_members_projects_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "project_quotas",
                columns: table => new
                {
                    project_id = table.Column<Guid>(type: "uuid", nullable: false),
                    pool = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    max_slots = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_project_quotas", x => new { x.project_id, x.pool });
                    table.ForeignKey(
                        name: "fk_project_quotas_projects_project_id",
                        column: x => x.project_id,
                        principalTable: "projects",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "projects",
                columns: new[] { "id", "created_at", "created_by", "description", "name", "priority_ceiling" },
                values: new object[] { new Guid("00000000-0000-0000-0000-000000000001"), new DateTimeOffset(new DateTime(2026, 12, 6, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "migration", "Every run made before projects existed, and single-team use.", "default", null });

            // Existing rows belong to the default project (the column defaults above, kept as the database default so a
            // row inserted by hand lands there too); every user keeps their role there; a user's or a scoped key acts in
            // it. Keys with admin or models:serve stay platform keys (no project).
            migrationBuilder.Sql("""
                INSERT INTO project_members (project_id, user_id, role, added_at)
                SELECT '00000000-0000-0000-0000-000000000001', u.id,
                       CASE WHEN bool_or(r.name = 'admin') THEN 'admin' WHEN bool_or(r.name = 'researcher') THEN 'researcher' ELSE 'viewer' END,
                       now()
                FROM "AspNetUsers" u
                LEFT JOIN "AspNetUserRoles" ur ON ur.user_id = u.id
                LEFT JOIN "AspNetRoles" r ON r.id = ur.role_id
                GROUP BY u.id;
                UPDATE api_keys SET project_id = '00000000-0000-0000-0000-000000000001'
                WHERE NOT ('admin' = ANY(scopes)) AND NOT ('models:serve' = ANY(scopes));
                INSERT INTO project_audit (project_id, action, subject, detail, actor, at)
                VALUES ('00000000-0000-0000-0000-000000000001', 'project.created', 'default', 'every existing user and row moved in', 'migration', now());
                """);

            migrationBuilder.CreateIndex(
                name: "ix_sweeps_project_id",
                table: "sweeps",
                column: "project_id");

            migrationBuilder.CreateIndex(
                name: "ix_suites_project_id",
                table: "suites",
                column: "project_id");

            migrationBuilder.CreateIndex(
                name: "ix_registered_models_project_id",
                table: "registered_models",
                column: "project_id");

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_configuration_hash_project_id",
                table: "leaderboard_entries",
                columns: new[] { "configuration_hash", "project_id" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_project_id_board_lower",
                table: "leaderboard_entries",
                columns: new[] { "project_id", "board", "lower" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_project_id_board_mean",
                table: "leaderboard_entries",
                columns: new[] { "project_id", "board", "mean" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_project_id_board_upper",
                table: "leaderboard_entries",
                columns: new[] { "project_id", "board", "upper" });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_project_id_submitted_at_id",
                table: "experiments",
                columns: new[] { "project_id", "submitted_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_queue",
                table: "experiments",
                columns: new[] { "pool", "project_id", "priority", "submitted_at", "id" },
                descending: new[] { false, false, true, false, false },
                filter: "status = 'Queued' AND NOT cancel_requested");

            migrationBuilder.CreateIndex(
                name: "ix_backbones_project_id",
                table: "backbones",
                column: "project_id");

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_project_id",
                table: "api_keys",
                column: "project_id");

            migrationBuilder.CreateIndex(
                name: "ix_backbone_shares_project_id",
                table: "backbone_shares",
                column: "project_id");

            migrationBuilder.CreateIndex(
                name: "ix_project_audit_project_id_at",
                table: "project_audit",
                columns: new[] { "project_id", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_project_members_user_id",
                table: "project_members",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_projects_name",
                table: "projects",
                column: "name",
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "fk_api_keys_projects_project_id",
                table: "api_keys",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_backbones_projects_project_id",
                table: "backbones",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_experiments_projects_project_id",
                table: "experiments",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_registered_models_projects_project_id",
                table: "registered_models",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_suites_projects_project_id",
                table: "suites",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_sweeps_projects_project_id",
                table: "sweeps",
                column: "project_id",
                principalTable: "projects",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_api_keys_projects_project_id",
                table: "api_keys");

            migrationBuilder.DropForeignKey(
                name: "fk_backbones_projects_project_id",
                table: "backbones");

            migrationBuilder.DropForeignKey(
                name: "fk_experiments_projects_project_id",
                table: "experiments");

            migrationBuilder.DropForeignKey(
                name: "fk_registered_models_projects_project_id",
                table: "registered_models");

            migrationBuilder.DropForeignKey(
                name: "fk_suites_projects_project_id",
                table: "suites");

            migrationBuilder.DropForeignKey(
                name: "fk_sweeps_projects_project_id",
                table: "sweeps");

            migrationBuilder.DropTable(
                name: "backbone_shares");

            migrationBuilder.DropTable(
                name: "project_audit");

            migrationBuilder.DropTable(
                name: "project_members");

            migrationBuilder.DropTable(
                name: "project_quotas");

            migrationBuilder.DropTable(
                name: "projects");

            migrationBuilder.DropIndex(
                name: "ix_sweeps_project_id",
                table: "sweeps");

            migrationBuilder.DropIndex(
                name: "ix_suites_project_id",
                table: "suites");

            migrationBuilder.DropIndex(
                name: "ix_registered_models_project_id",
                table: "registered_models");

            migrationBuilder.DropPrimaryKey(
                name: "pk_leaderboard_pins",
                table: "leaderboard_pins");

            migrationBuilder.DropPrimaryKey(
                name: "pk_leaderboard_entries",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_configuration_hash_project_id",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_project_id_board_lower",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_project_id_board_mean",
                table: "leaderboard_entries");

            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_project_id_board_upper",
                table: "leaderboard_entries");

            migrationBuilder.DropPrimaryKey(
                name: "pk_leaderboard_boards",
                table: "leaderboard_boards");

            migrationBuilder.DropIndex(
                name: "ix_experiments_project_id_submitted_at_id",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_experiments_queue",
                table: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_backbones_project_id",
                table: "backbones");

            migrationBuilder.DropIndex(
                name: "ix_api_keys_project_id",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "sweeps");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "suites");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "registered_models");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "leaderboard_pins");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "leaderboard_entries");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "leaderboard_boards");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "backbones");

            migrationBuilder.DropColumn(
                name: "project_id",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "current_project_id",
                table: "AspNetUsers");

            migrationBuilder.AddPrimaryKey(
                name: "pk_leaderboard_pins",
                table: "leaderboard_pins",
                column: "board");

            migrationBuilder.AddPrimaryKey(
                name: "pk_leaderboard_entries",
                table: "leaderboard_entries",
                columns: new[] { "board", "configuration_hash" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_leaderboard_boards",
                table: "leaderboard_boards",
                column: "board");

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_board_lower",
                table: "leaderboard_entries",
                columns: new[] { "board", "lower" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_board_mean",
                table: "leaderboard_entries",
                columns: new[] { "board", "mean" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_board_upper",
                table: "leaderboard_entries",
                columns: new[] { "board", "upper" });

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_configuration_hash",
                table: "leaderboard_entries",
                column: "configuration_hash");

            migrationBuilder.CreateIndex(
                name: "ix_experiments_queue",
                table: "experiments",
                columns: new[] { "pool", "priority", "submitted_at", "id" },
                descending: new[] { false, true, false, false },
                filter: "status = 'Queued' AND NOT cancel_requested");
        }
    }
}
